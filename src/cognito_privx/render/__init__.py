"""Output: rich text for humans on stderr, data on stdout, or exactly one JSON document with ``--output json``.

With ``cli``, the only module that prints. Secrets never reach here: the plan holds ``(sensitive)`` instead.
Every value printed as text goes through :func:`printable` (control characters and bidi overrides escaped);
JSON is left exact (``json.dumps`` escapes control characters itself).

One module per kind of output: :mod:`.terminal` (escaping, consoles, one-line messages, data, JSON),
:mod:`.plans` (a plan's changes and summaries), :mod:`.users` (the user commands and imports), :mod:`.reports`
(doctor, the access review, the demo's narrator). Callers use ``render.<name>``.
"""

from __future__ import annotations

from cognito_privx.render.plans import (
    change,
    change_lines,
    plan_summary,
    plan_text,
    setup_summary,
    stopped_summary,
    teardown_summary,
)
from cognito_privx.render.reports import (
    AccessProgress,
    DemoNarrator,
    JsonRows,
    access_table,
    doctor_report,
)
from cognito_privx.render.terminal import (
    console,
    data,
    error,
    export_lines,
    info,
    json_document,
    login_probe,
    markup_text,
    markup_value,
    printable,
    problem,
    shown_value,
    stderr,
    stdout,
    text,
    warning,
)
from cognito_privx.render.users import (
    ImportProgress,
    JobProgress,
    UsersTable,
    import_summary,
    user_result,
    users_table,
)

__all__ = [
    "AccessProgress",
    "DemoNarrator",
    "ImportProgress",
    "JobProgress",
    "JsonRows",
    "UsersTable",
    "access_table",
    "change",
    "change_lines",
    "console",
    "data",
    "doctor_report",
    "error",
    "export_lines",
    "import_summary",
    "info",
    "json_document",
    "login_probe",
    "markup_text",
    "markup_value",
    "plan_summary",
    "plan_text",
    "printable",
    "problem",
    "setup_summary",
    "shown_value",
    "stderr",
    "stdout",
    "stopped_summary",
    "teardown_summary",
    "text",
    "user_result",
    "users_table",
    "warning",
]
