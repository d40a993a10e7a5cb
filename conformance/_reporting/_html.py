"""HTML renderings (report.html): one self-contained page each, every text escaped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._redaction import displayable, redact
from ._templates import render
from ._views import parity_view, run_view


def render_html(result: Mapping[str, Any]) -> str:
    """report.html: one self-contained page (inline CSS, no external resources), all text escaped."""
    return render("report.html.j2", "html", report=run_view(displayable(redact(result))))


def render_parity_html(result: Mapping[str, Any]) -> str:
    """parity.html: one self-contained page, every text escaped."""
    return render("parity.html.j2", "html", report=parity_view(displayable(redact(result))))
