"""The PrivX emulator: a stateful, in-memory stand-in for the parts of the PrivX REST API cognito-privx uses.

Start at :mod:`.core` (:class:`PrivXEmulator`, its public API and the numbered choices where PrivX is not
documented). The rest, one concern per module:

- :mod:`.wire` — the response and record types, PrivX's error shapes, body parsing and paging shared by every route;
- :mod:`.variant` — :class:`EmulatorVariant`, the knobs for what no public source settles;
- :mod:`.auth` — the OAuth token grant, the API clients and the bearer-token check;
- :mod:`.login` — the direct login into one OIDC directory (the documented authorize endpoint or the legacy guess)
  and its callback, with PrivX as the OIDC relying party; :mod:`.oidc` — its discovery, code exchange and ID-token
  checks; :mod:`.refresh` — PrivX's use of the IdP's refresh token, triggered by the harness;
- :mod:`.sources`, :mod:`.roles` and :mod:`.users` — the role-store objects and their routes;
- :mod:`.sessions` and :mod:`.connections` — login sessions and live connections, listed and terminated;
- :mod:`.membership` and :mod:`.ldapfilter` — the shape of role rules and who they match;
- :mod:`.faults` — fault injection (status, latency, process-then-drop);
- :mod:`.admin` — the test harness's ``/_emulator/`` routes.

Served over HTTP by :mod:`cognito_privx.sandbox.server`; in-process through ``httpx.MockTransport(emu.handle)``.
"""

from cognito_privx.sandbox.emulator.core import PrivXEmulator
from cognito_privx.sandbox.emulator.faults import MAX_FAULT_LATENCY, MAX_RETRY_AFTER, Fault
from cognito_privx.sandbox.emulator.ldapfilter import FilterError, parse_filter
from cognito_privx.sandbox.emulator.roles import DEFAULT_ACCESS_GROUP_ID
from cognito_privx.sandbox.emulator.sources import BUILTIN_SOURCES
from cognito_privx.sandbox.emulator.variant import VARIANT_CHOICES, EmulatorVariant
from cognito_privx.sandbox.emulator.wire import (
    ALL_PERMISSIONS,
    DEFAULT_LIMIT,
    MASK,
    MAX_LIMIT,
    EmulatorResponse,
    RecordedRequest,
)

__all__ = [
    "ALL_PERMISSIONS",
    "BUILTIN_SOURCES",
    "DEFAULT_ACCESS_GROUP_ID",
    "DEFAULT_LIMIT",
    "MASK",
    "MAX_FAULT_LATENCY",
    "MAX_LIMIT",
    "MAX_RETRY_AFTER",
    "VARIANT_CHOICES",
    "EmulatorResponse",
    "EmulatorVariant",
    "Fault",
    "FilterError",
    "PrivXEmulator",
    "RecordedRequest",
    "parse_filter",
]
