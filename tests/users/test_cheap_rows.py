"""Cheap rows (issue 24): the rest of a stopped file as a count, rows needing no call answered on the main thread,
the duplicates check in 4 bytes a row, the schema check without a second read, the bar of a stopped run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.users import Outcome, UserResult, UserRow, api_engine, scan_csv
from cognito_privx.users.index import PoolIndex


def _stub_users() -> Any:
    from cognito_privx.cognito import CognitoGateway
    from cognito_privx.users import PoolUsers

    return PoolUsers(CognitoGateway(object()), "pool", "custom:group")  # type: ignore[arg-type]


class _File:
    """Rows of known length that refuse to be read past ``readable``: what a stopped run must not read."""

    def __init__(self, total: int, readable: int) -> None:
        self.total, self.readable, self.read = total, readable, 0

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[UserRow]:
        for i in range(1, self.total + 1):
            self.read += 1
            if self.read > self.readable:
                raise AssertionError(f"row {i} was read after the stop")
            yield UserRow(f"x{i}@example.com", "ops", None, i)


def test_a_stopped_run_counts_the_unread_rest_as_not_attempted() -> None:
    ctrl_c = api_engine.CtrlC()
    ctrl_c.presses = 1  # pressed before the first row: nothing starts
    rows = _File(1_000_000, readable=1)
    report = api_engine.import_rows(_stub_users(), rows, workers=2, keep_results=False, ctrl_c=ctrl_c)
    assert report.not_attempted == 1_000_000 and report.rows == 1_000_000
    assert report.summary()["not_attempted"] == 1_000_000 and report.interrupted
    assert rows.read == 1


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_stopped_run_reports_the_unread_rest_as_one_count(tmp_path: Path, suffix: str) -> None:
    """The rows never started are one count in the report and ``-o json`` (where they start and how many), not a
    line each: 1,000,000 of them were written one by one (65 s under load: issue 24)."""
    import csv
    import json

    from cognito_privx.users.report import open_report

    ctrl_c = api_engine.CtrlC()
    ctrl_c.presses = 1
    path = tmp_path / f"r{suffix}"
    writer = open_report(path)
    rows = _File(1_000_000, readable=1)
    report = api_engine.import_rows(_stub_users(), rows, workers=2, keep_results=True, report=writer, ctrl_c=ctrl_c)
    assert rows.read == 1
    assert report.not_attempted == 1_000_000 and report.results == []
    summary = report.summary()
    assert summary["not_attempted"] == 1_000_000 and summary["not_attempted_from_line"] == 1
    if suffix == ".json":
        document = json.loads(path.read_text())
        assert document["rows"] == []
        assert document["summary"]["not_attempted_from_line"] == 1
        assert document["summary"]["not_attempted"] == 1_000_000
    else:
        with path.open(newline="") as fh:
            listed = list(csv.DictReader(fh))
        assert [(r["line"], r["email"], r["outcome"]) for r in listed] == [("1", "", "not attempted")]
        assert listed[0]["detail"].startswith("1000000 rows from this line to the end of the file")


def test_rows_needing_no_call_are_answered_on_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_privx.users.quick_rows import no_call_answer

    workers_ran: list[str] = []

    def on_a_worker(*args: Any, **kwargs: Any) -> UserResult:
        workers_ran.append(threading.current_thread().name)
        row: UserRow = args[1]
        return UserResult(row.email, Outcome.UNCHANGED, "compared", row.line)

    monkeypatch.setattr(api_engine, "_import_one", on_a_worker)
    users = _stub_users()
    index = PoolIndex(users.attribute)
    index.add({"Username": "u-1", "Attributes": [{"Name": "email", "Value": "known@example.com"}]})
    rows = [UserRow(e, "ops", None, i) for i, e in enumerate(["a@example.com", "known@example.com", "b@x.org"], 2)]
    answer = no_call_answer(users, index, dry_run=True)
    report = api_engine.import_rows(users, rows, workers=2, dry_run=True, index=index, no_call=answer)
    assert [(r.email, r.outcome, r.detail) for r in report.results] == [
        ("a@example.com", Outcome.CREATED, "would create, group ops"),
        ("known@example.com", Outcome.UNCHANGED, "compared"),  # a known user: compared by a worker
        ("b@x.org", Outcome.CREATED, "would create, group ops"),
    ]
    assert len(workers_ran) == 1
    assert no_call_answer(users, index, dry_run=False) is None  # a real import: every row is a call
    assert no_call_answer(users, None, dry_run=True) is None  # no listing: nothing is known without a call


def test_the_duplicates_check_keeps_44_bits_and_confirms_suspects() -> None:
    from cognito_privx.users.row_digests import DuplicateHashes

    hashes = DuplicateHashes()
    same_44_bits = [5 | (1 << 50), 5 | (1 << 51)]  # different hashes, equal in the 44 bits kept
    for value in [1, 2, 3, *same_44_bits, 2]:
        hashes.add(value)
    assert hashes.suspects() == {2, 5}
    assert len(hashes) == 6


def test_a_file_with_repeats_lists_each_repeat(tmp_path: Path) -> None:
    from cognito_privx.users import CsvError

    path = tmp_path / "u.csv"
    path.write_text("email,group\n" + "".join(f"u{i % 3000}@example.com,ops\n" for i in range(3005)))
    with pytest.raises(CsvError) as e:
        scan_csv(path, {"ops"})
    assert "5 bad row(s)" in e.value.message
    assert "line 3002: u0@example.com is also on line 2" in e.value.rows


def test_a_group_is_judged_once_but_every_row_of_it_is_listed(tmp_path: Path) -> None:
    from cognito_privx.users import CsvError

    path = tmp_path / "u.csv"
    path.write_text("email,group,name\na@example.com,nope,A\nb@example.com,ops,\nc@example.com,nope,C\nd@x.org,OPS,D\n")
    with pytest.raises(CsvError) as e:
        scan_csv(path, {"ops"})
    assert [r.split(":")[0] for r in e.value.rows] == ["line 2", "line 4", "line 5"]
    assert "unknown group 'nope'" in e.value.rows[1]
    assert "spelled differently" in e.value.rows[2]


def test_a_scan_knows_its_groups_and_whether_a_row_has_no_name(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("email,group,name\na@example.com,ops,A\nb@example.com,dev, \n")
    scan = scan_csv(path, {"ops", "dev"})
    assert scan.nameless and scan.groups == {"ops", "dev"} and len(scan) == 2
    assert [(r.email, r.group, r.name) for r in scan] == [("a@example.com", "ops", "A"), ("b@example.com", "dev", None)]
    path.write_text("email,group,name\na@example.com,ops,A\n")
    assert not scan_csv(path, {"ops"}).nameless


def test_the_schema_is_checked_row_by_row_only_when_a_row_could_be_refused() -> None:
    from cognito_privx.users.pool_rules import any_row_refused

    def pool(*required: str, max_length: int = 256) -> dict[str, Any]:
        schema = [{"Name": n, "Required": True, "AttributeDataType": "String"} for n in required]
        schema.append(
            {
                "Name": "custom:group",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": str(max_length)},
            }
        )
        return {"SchemaAttributes": schema}

    assert not any_row_refused(pool("email"), "custom:group", {"ops"}, nameless=True)
    assert not any_row_refused(pool("name"), "custom:group", {"ops"}, nameless=False)
    assert any_row_refused(pool("name"), "custom:group", {"ops"}, nameless=True)
    assert any_row_refused(pool("family_name"), "custom:group", {"ops"}, nameless=False)
    assert any_row_refused(pool(max_length=2), "custom:group", {"ops"}, nameless=False)


def test_the_bar_of_a_stopped_run_counts_only_rows_done() -> None:
    from cognito_privx.render.users import ImportProgress

    with ImportProgress(4) as progress:
        progress.advance(UserResult("a@example.com", Outcome.CREATED, "", 2))
        progress.advance(UserResult("b@example.com", Outcome.NOT_ATTEMPTED, "interrupted", 3))
        progress.advance(UserResult("c@example.com", Outcome.UNKNOWN, "abandoned", 4))
    task = progress.progress.tasks[0]
    assert (task.completed, task.total) == (1, 4)


def test_the_summary_says_which_not_attempted_rows_are_listed_and_which_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows handed out but never started are listed one by one; the rest of the file is one count: the summary's
    parenthesis says both (issue 24's review: "every row from line 1485 on" while lines 974-1484 were listed)."""
    from cognito_privx.render.users import import_summary
    from cognito_privx.users.report import ImportReport

    counts = {"created": 972, "not attempted": 2028}
    report = ImportReport([], 10.0, 0, "interrupted", interrupted=True, rest_from_line=1485, rest_rows=1517)
    report.counts.update(counts)
    summary = report.summary()
    assert summary["not_attempted_rest"] == 1517
    import_summary(summary)
    said = " ".join(capsys.readouterr().err.split())
    assert "2028 not attempted (511 listed, then every row from line 1485 on)" in said, said


def test_the_third_press_does_not_wait_for_the_threads_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Abandoning (a third Ctrl-C) joins no worker: they are daemons stuck in a call; a join each (0.05 s) took 25 s
    at --workers 512 (issue 24's review)."""
    release = threading.Event()
    ctrl_c = api_engine.CtrlC()
    joined: list[threading.Thread] = []
    real_join = threading.Thread.join

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        joined.append(self)
        real_join(self, 0 if timeout is None else min(timeout, 0.01))

    def stuck(users: Any, row: UserRow) -> UserResult | None:
        if row.line == 1:
            for _ in range(3):
                assert ctrl_c.on_press is not None
                ctrl_c.on_press()
        release.wait(10)
        return UserResult(row.email, Outcome.CREATED, "", row.line)

    monkeypatch.setattr(threading.Thread, "join", join)
    rows = [UserRow(f"x{i}@example.com", "ops", None, i) for i in range(1, 9)]
    try:
        report = api_engine.import_rows(_stub_users(), rows, workers=4, keep_results=True, action=stuck, ctrl_c=ctrl_c)
    finally:
        monkeypatch.undo()
        release.set()
    assert report.interrupted and report.unknown >= 1
    assert report.rows == 8
    assert joined == []
