"""Reports of a finished run: report.json (the one source), junit.xml, report.md, report.html,
summary.md, badge.json (a shields.io endpoint);
and of a parity run: parity.json (the one source), parity.md, parity.html.

Reporters only render the result dict (``RunResult.to_dict()``); they never re-run logic, so
the files cannot disagree. One module per concern: redaction, the views the templates
show, one renderer per format, files (writing, schemas, loading), and the diff of two runs.
"""

from ._badge import badge, render_badge
from ._diff import Diff, VerdictChange, diff_reports, render_diff, render_diff_markdown
from ._files import (
    PARITY_FILES,
    REPORT_FILES,
    ReportError,
    load_report,
    parity_schema,
    render_json,
    report_schema,
    validate_parity,
    validate_report,
    write_parity_reports,
    write_reports,
)
from ._html import render_html, render_parity_html
from ._junit import render_junit
from ._markdown import render_markdown, render_parity_markdown, render_summary_markdown
from ._matrix import render_matrix_html, render_matrix_markdown
from ._redaction import DISPLAY_BODY_LIMIT, REDACTED, redact
from ._views import (
    LEVELS,
    VERDICTS,
    check_counts,
    failure_groups,
    failure_lines,
    operation_counts,
    parity_summary_line,
    summary_line,
)

__all__ = [
    "DISPLAY_BODY_LIMIT",
    "Diff",
    "LEVELS",
    "PARITY_FILES",
    "REDACTED",
    "REPORT_FILES",
    "ReportError",
    "VERDICTS",
    "VerdictChange",
    "badge",
    "check_counts",
    "diff_reports",
    "failure_groups",
    "failure_lines",
    "load_report",
    "operation_counts",
    "parity_schema",
    "parity_summary_line",
    "redact",
    "render_badge",
    "render_diff",
    "render_diff_markdown",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_matrix_html",
    "render_matrix_markdown",
    "render_parity_html",
    "render_parity_markdown",
    "render_summary_markdown",
    "report_schema",
    "summary_line",
    "validate_parity",
    "validate_report",
    "write_parity_reports",
    "write_reports",
]
