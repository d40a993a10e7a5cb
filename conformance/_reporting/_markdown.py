"""Markdown renderings (report.md), for a pull request comment or a CI summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._redaction import displayable, redact
from ._templates import render
from ._views import parity_view, run_view


def render_markdown(result: Mapping[str, Any]) -> str:
    """report.md: the summary table first, then one section per operation."""
    return render("report.md.j2", "markdown", report=run_view(displayable(redact(result))))


#: Failures summary.md lists (one line each); the rest are counted and left to report.md.
SUMMARY_FAILURES = 30


def render_summary_markdown(result: Mapping[str, Any]) -> str:
    """summary.md: what a CI job summary needs (the verdict, the counts, what failed, one line
    each), at most about 60 lines whatever the run found."""
    view = run_view(displayable(redact(result)))
    conforms = view["complete"] and not (view["counts"]["fail"] or view["counts"]["error"])
    return render("summary.md.j2", "markdown", report={**view, "conforms": conforms, "summary_limit": SUMMARY_FAILURES})


def render_parity_markdown(result: Mapping[str, Any]) -> str:
    """parity.md: the verdict per operation first, then each difference with both exchanges."""
    return render("parity.md.j2", "markdown", report=parity_view(displayable(redact(result))))
