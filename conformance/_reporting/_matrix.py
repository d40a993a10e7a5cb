"""The matrix (``report matrix``): N runs side by side, operations by implementations, each cell a
verdict with a link to the reason, and per-level totals; one static HTML page and a Markdown table."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._redaction import displayable, redact
from ._templates import render
from ._views import LEVELS, _anchor, failure_groups, operation_counts


def column_label(path: Path) -> str:
    """What a report's column is called: its folder's name for a report.json, else its file's name."""
    path = Path(path)
    return (path.parent.name or "report") if path.name == "report.json" else path.stem


def _reasons(report: Mapping[str, Any]) -> dict[str, list[str]]:
    """operationId -> what failed in it, one line per check and reason."""
    reasons: dict[str, list[str]] = {}
    for group in failure_groups(report):
        for failure in group["operations"]:
            reasons.setdefault(failure["operation"], []).append(
                f"{failure['check']} {failure['verdict']}: {failure['reason']}"
            )
    return reasons


def matrix_view(reports: Sequence[tuple[Path, Mapping[str, Any]]], out_dir: Path | None = None) -> dict[str, Any]:
    """What the matrix shows of (path, report.json) pairs; links to each report.html relative to ``out_dir``."""
    columns, rows = [], {}
    for index, (path, raw) in enumerate(reports):
        report = displayable(redact(raw))
        html = Path(path).with_name("report.html")
        href = os.path.relpath(html.resolve(), Path(out_dir or ".").resolve()) if out_dir is not None else str(html)
        reasons = _reasons(report)
        levels = [lv for lv in LEVELS if lv in (report.get("levels") or ())]
        columns.append(
            {
                "label": column_label(path),
                "target": (report.get("target") or {}).get("base_url", "?"),
                "complete": bool(report.get("complete", True)),
                "counts": operation_counts(report),
                "levels": {
                    lv: sum((op.get("levels") or {}).get(lv) == "pass" for op in report.get("operations", ()))
                    for lv in levels
                },
                "operations": len(report.get("operations", ())),
            }
        )
        for op in report.get("operations", ()):
            op_id = op.get("operationId", "?")
            row = rows.setdefault(op_id, [None] * len(reports))
            row[index] = {
                "verdict": op.get("verdict", "error"),
                "href": f"{href}#{_anchor(op_id)}",
                "reasons": reasons.get(op_id, []),
            }
    seen: dict[str, int] = {}
    for column in columns:  # two runs kept in folders of one name: number them
        seen[column["label"]] = seen.get(column["label"], 0) + 1
        if seen[column["label"]] > 1:
            column["label"] += f" ({seen[column['label']]})"
    return {
        "columns": columns,
        "rows": [{"operation": op_id, "cells": cells} for op_id, cells in rows.items()],
        "levels": [lv for lv in LEVELS if any(lv in c["levels"] for c in columns)],
    }


def render_matrix_html(reports: Sequence[tuple[Path, Mapping[str, Any]]], out_dir: Path | None = None) -> str:
    """matrix.html: one self-contained page, every text escaped."""
    return render("matrix.html.j2", "html", matrix=matrix_view(reports, out_dir))


def render_matrix_markdown(reports: Sequence[tuple[Path, Mapping[str, Any]]], out_dir: Path | None = None) -> str:
    """The matrix as a Markdown table (operations by implementations, then per-level totals)."""
    return render("matrix.md.j2", "markdown", matrix=matrix_view(reports, out_dir))
