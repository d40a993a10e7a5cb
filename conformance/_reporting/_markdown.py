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


def render_parity_markdown(result: Mapping[str, Any]) -> str:
    """parity.md: the verdict per operation first, then each difference with both exchanges."""
    return render("parity.md.j2", "markdown", report=parity_view(displayable(redact(result))))
