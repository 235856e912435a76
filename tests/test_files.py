"""files.py never replaces what is not a regular file (a link such as /dev/stdout, a device, a FIFO, a directory):
renaming a new file over it would destroy it. The writers refuse it, and leave it as it was."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cognito_privx.files import RefusedTarget, check_target, open_private, write_private


@pytest.mark.parametrize("kind", ["link to devnull", "fifo", "directory"])
def test_the_writers_refuse_what_is_not_a_regular_file_and_leave_it(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out"
    if kind == "link to devnull":
        target.symlink_to(os.devnull)
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    mode = os.lstat(target).st_mode
    with pytest.raises(RefusedTarget):
        write_private(target, "SECRET=1\n")
    with pytest.raises(RefusedTarget):
        open_private(target)
    assert stat.S_IFMT(os.lstat(target).st_mode) == stat.S_IFMT(mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left beside it


def test_the_config_in_use_is_refused_by_any_name(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("x = 1\n")
    os.link(config, tmp_path / "hard.toml")
    for path in (config, tmp_path / "hard.toml", tmp_path / "." / "c.toml"):
        with pytest.raises(RefusedTarget, match="config file in use"):
            check_target(path, config_file=config)
    check_target(tmp_path / "new.csv", config_file=config)  # nothing there: fine
    write_private(tmp_path / "plain", "a")
    write_private(tmp_path / "plain", "b")  # a regular file is replaced
    assert (tmp_path / "plain").read_text() == "b"
