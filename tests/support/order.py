"""The order tests are handed out in: the ones that spend their time waiting on the clock and on other processes
first, everything else after, in collection order.

Those are the end-to-end tests (``-m e2e``: the installed CLI in a subprocess, Ctrl-C at chosen moments, the
sandbox) and the tests on moto's server (``moto_server``: real HTTP, a quota that refills in real time). Each
takes 5-50 s of wall time on one core while using little of it. ``--dist worksteal`` gives each worker a
contiguous share of this order and lets an idle worker take from the end of another's: started first, the
waiting tests overlap the in-process ones instead of being the last thing a worker does (the suite then ends up
to ~45 s later on 2 cores). Nothing else changes: every test still starts from its own fixtures.
"""

from __future__ import annotations

import pytest


def _waits(item: pytest.Item) -> bool:
    return item.get_closest_marker("e2e") is not None or "moto_server" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = sorted(items, key=lambda item: not _waits(item))  # stable: collection order within each part
