"""Reports of a finished run: report.json (the one source), junit.xml, report.md, report.html.

Reporters only render the result dict (``RunResult.to_dict()``); they never re-run logic, so
the four files cannot disagree. One module per concern: redaction, the views the templates
show, one renderer per format, files (writing, schemas, loading), and the diff of two runs.
"""

from ._diff import Diff, VerdictChange, diff_reports, render_diff
from ._files import (
    REPORT_FILES,
    ReportError,
    load_report,
    render_json,
    report_schema,
    validate_report,
    write_reports,
)
from ._html import render_html
from ._junit import render_junit
from ._markdown import render_markdown
from ._redaction import DISPLAY_BODY_LIMIT, REDACTED, redact
from ._views import LEVELS, VERDICTS, operation_counts, summary_line

__all__ = [
    "DISPLAY_BODY_LIMIT",
    "Diff",
    "LEVELS",
    "REDACTED",
    "REPORT_FILES",
    "ReportError",
    "VERDICTS",
    "VerdictChange",
    "diff_reports",
    "load_report",
    "operation_counts",
    "redact",
    "render_diff",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "report_schema",
    "summary_line",
    "validate_report",
    "write_reports",
]
