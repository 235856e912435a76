"""import-users' edges (issue 13, "Import edges") and the engine's streaming and bulk reads (issue 15), on moto.

Throughput and memory are measured by ``benchmarks/``, never here; throttling storms are in
``test_import_throttled.py``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.config import AppConfig
from cognito_privx.users import scan_csv
from cognito_privx.users.index import PoolIndex, listing_pays

pytestmark = pytest.mark.usefixtures("emulator")


def _csv(path: Path, emails: list[str], group: str = "ops") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write("email,group\n")
        csv.writer(fh).writerows((e, group) for e in emails)
    return path


def _count(aws: Any, pool: str) -> int:
    pages = aws.get_paginator("list_users").paginate(UserPoolId=pool, Limit=60)
    return sum(len(p["Users"]) for p in pages)


def test_dry_run_says_would_create(cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "u.csv", [f"d{i}@example.com" for i in range(51)])
    run = cli("--config", str(config_file), "import-users", str(path), "--dry-run")
    assert run.exit_code == 0, run.stderr
    assert "would create 51" in run.stderr
    assert "51 created" not in run.stderr
    assert _count(aws, pool) == 0


def test_dry_run_json_marks_the_summary(cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "u.csv", ["a@example.com", "b@example.com"])
    run = cli("--config", str(config_file), "-o", "json", "import-users", str(path), "--dry-run")
    summary = json.loads(run.stdout)["summary"]
    assert (summary["dry_run"], summary["created"], summary["failed"]) == (True, 2, 0)


def test_unwritable_report_is_refused_before_any_change(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    # A directory in the report's place cannot be written as a file, by root either (CI runs as root).
    taken = tmp_path / "r.csv"
    taken.mkdir()
    path = _csv(tmp_path / "u.csv", ["a@example.com"])
    run = cli("--config", str(config_file), "import-users", str(path), "--no-invite", "--report", str(taken))
    assert run.exit_code == 2
    assert "cannot write the report" in run.stderr and "Traceback" not in run.stderr
    assert _count(aws, pool) == 0


def test_a_report_onto_a_link_to_a_device_or_onto_the_config_is_refused_before_any_change(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    import os

    link = tmp_path / "out"
    link.symlink_to(os.devnull)
    path = _csv(tmp_path / "u.csv", ["a@example.com"])
    run = cli("--config", str(config_file), "import-users", str(path), "--no-invite", "--report", str(link))
    assert run.exit_code == 2 and "symbolic link" in run.stderr and "Traceback" not in run.stderr
    assert link.is_symlink() and _count(aws, pool) == 0
    text = config_file.read_text()
    run = cli("--config", str(config_file), "import-users", str(path), "--no-invite", "--report", str(config_file))
    assert run.exit_code == 2 and "config" in run.stderr
    assert config_file.read_text() == text and _count(aws, pool) == 0


def test_report_into_a_missing_directory_is_refused_before_any_change(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", ["a@example.com"])
    report = tmp_path / "no" / "such" / "dir" / "r.json"
    run = cli("--config", str(config_file), "import-users", str(path), "--no-invite", "--report", str(report))
    assert run.exit_code == 2
    assert f"cannot write the report to {report}" in run.stderr
    assert _count(aws, pool) == 0


def test_report_is_streamed_in_file_order_with_the_summary(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    emails = [f"r{i:03}@example.com" for i in range(120)]
    path = _csv(tmp_path / "u.csv", emails)
    report = tmp_path / "r.json"
    run = cli("--config", str(config_file), "import-users", str(path), "--no-invite", "--report", str(report))
    assert run.exit_code == 0, run.stderr
    doc = json.loads(report.read_text())
    assert [r["email"] for r in doc["rows"]] == emails
    assert [r["line"] for r in doc["rows"]] == list(range(2, 122))
    assert doc["summary"]["created"] == 120 and doc["summary"]["not_attempted"] == 0


def test_existing_users_are_compared_from_one_listing(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path, gateway_calls: list[str]
) -> None:
    """A re-run over a small pool: the pool is listed (2 pages), not read once per row, and nothing is created."""
    emails = [f"e{i:03}@example.com" for i in range(70)]
    path = _csv(tmp_path / "u.csv", emails)
    assert cli("--config", str(config_file), "import-users", str(path), "--no-invite").exit_code == 0
    gateway_calls.clear()
    again = cli("--config", str(config_file), "-o", "json", "import-users", str(path), "--no-invite")
    assert json.loads(again.stdout)["summary"]["unchanged"] == 70
    assert gateway_calls.count("list_users") == 2
    assert "admin_get_user" not in gateway_calls and "admin_create_user" not in gateway_calls


def test_new_users_cost_one_call_each(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path, gateway_calls: list[str]
) -> None:
    path = _csv(tmp_path / "u.csv", [f"n{i:03}@example.com" for i in range(40)])
    gateway_calls.clear()
    run = cli("--config", str(config_file), "import-users", str(path), "--no-invite")
    assert run.exit_code == 0, run.stderr
    assert gateway_calls.count("admin_create_user") == 40
    assert "admin_get_user" not in gateway_calls


def test_listing_pays_while_the_pool_is_small_next_to_the_file() -> None:
    assert listing_pays(0, 10)  # one page (1/30 s) < ten reads (10/120 s)
    assert not listing_pays(0, 2)
    assert listing_pays(10_000, 1_000)  # 167 pages at 30/s (5.6 s) < 1,000 reads at 120/s (8.3 s)
    assert not listing_pays(1_000_000, 1_000)


def test_pool_index_knows_case_variants_as_ambiguous() -> None:
    index = PoolIndex("custom:group")
    for name, email in (("u1", "Bob@x.com"), ("u2", "bob@x.com"), ("u3", "ann@x.com")):
        index.add({"Username": name, "Attributes": [{"Name": "email", "Value": email}], "Enabled": True})
    assert index.get("bob@x.com") == 2
    ann = index.get("ann@x.com")
    assert isinstance(ann, dict) and ann["Username"] == "u3"
    assert index.get("cid@x.com") is None


def test_scan_csv_streams_and_reports_duplicates_by_line(tmp_path: Path) -> None:
    cfg = AppConfig.model_validate({"cognito": {"region": "eu-west-1", "pool_name": "p"}})
    path = _csv(tmp_path / "u.csv", ["a@example.com", "b@example.com", "A@example.com"])
    with pytest.raises(Exception, match="1 bad row") as e:
        scan_csv(path, cfg.roles)
    assert "line 4: a@example.com is also on line 2" in str(getattr(e.value, "rows", ""))
    good = _csv(tmp_path / "g.csv", ["a@example.com", "b@example.com"])
    scan = scan_csv(good, cfg.roles)
    assert len(scan) == 2 and [r.line for r in scan] == [2, 3] and [r.line for r in scan] == [2, 3]


# -- the engine on a stub row function: stops, order, errors (no Cognito at all) --------------------------------


def _stub_users() -> Any:
    from cognito_privx.cognito import CognitoGateway
    from cognito_privx.users import PoolUsers

    return PoolUsers(CognitoGateway(object()), "pool", "custom:group")  # type: ignore[arg-type]


def test_the_email_cap_stops_the_run_and_the_rest_is_not_attempted(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_privx.users import InviteLimitError, Outcome, UserResult, UserRow, api_engine

    def fake(users: Any, row: UserRow, *args: Any, **kwargs: Any) -> UserResult:
        if row.line == 40:
            raise InviteLimitError("daily email limit", "re-run with --no-invite, or configure SES")
        return UserResult(row.email, Outcome.CREATED, "", row.line)

    monkeypatch.setattr(api_engine, "_import_one", fake)
    rows = (UserRow(f"x{i}@example.com", "ops", None, i) for i in range(1, 5001))  # a generator: streamed
    report = api_engine.import_rows(_stub_users(), rows, workers=4)
    assert [r.line for r in report.results] == list(range(1, 5001))  # every row once, in file order
    assert report.failed == 1 and report.count(Outcome.CREATED) + report.not_attempted == 4999
    assert report.not_attempted > 4000 and report.hint and "--no-invite" in report.hint


def test_a_programming_error_in_a_row_is_raised_not_hung(monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_privx.users import Outcome, UserResult, UserRow, api_engine

    def fake(users: Any, row: UserRow, *args: Any, **kwargs: Any) -> Any:
        if row.line == 7:
            raise RuntimeError("bug")
        return UserResult(row.email, Outcome.CREATED, "", row.line)

    monkeypatch.setattr(api_engine, "_import_one", fake)
    rows = [UserRow(f"y{i}@example.com", "ops", None, i) for i in range(1, 200)]
    with pytest.raises(RuntimeError, match="bug"):
        api_engine.import_rows(_stub_users(), rows, workers=3)


def test_a_reread_validates_only_rows_changed_since_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_privx.users import csv_file as users_csv

    cfg = AppConfig.model_validate({"cognito": {"region": "eu-west-1"}, "roles": {"ops": "x"}})
    path = _csv(tmp_path / "u.csv", ["a@example.com", "B@Example.com", "c@example.com"])
    scan = scan_csv(path, cfg.roles)
    checked: list[str] = []
    real = users_csv.validate_email
    monkeypatch.setattr(users_csv, "validate_email", lambda e: checked.append(e) or real(e))
    assert [r.email for r in scan] == ["a@example.com", "b@example.com", "c@example.com"]
    assert checked == []  # each row as the scan checked it: only put in normal form (the fast path)
    checked.clear()
    path.write_text("email,group\na@example.com,ops\nnot-an-address,ops\nc@example.com,ops\n")
    with pytest.raises(Exception, match="changed while it was read"):
        list(scan)
    assert checked == ["not-an-address"]


def test_an_aborted_report_sums_up_the_rows_it_holds(tmp_path: Path) -> None:
    import time

    from cognito_privx.users import Outcome, UserResult
    from cognito_privx.users.report import open_report

    writer = open_report(tmp_path / "r.json")
    writer.write(UserResult("a@example.com", Outcome.CREATED, "", 2))
    writer.write(UserResult("b@example.com", Outcome.FAILED, "no", 3))
    writer.abort("stopped by the file changing", time.monotonic(), "run again")
    writer.abort("a second time is nothing", time.monotonic())
    written = json.loads((tmp_path / "r.json").read_text())
    assert [r["email"] for r in written["rows"]] == ["a@example.com", "b@example.com"]
    summary = written["summary"]
    assert (summary["rows"], summary["created"], summary["failed"]) == (2, 1, 1)
    assert (summary["stopped"], summary["hint"]) == ("stopped by the file changing", "run again")
