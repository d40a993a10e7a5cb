"""Files: writing reports atomically, their schemas, and reading a report back.

report.json is written first, since the other formats are only views of it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ._badge import render_badge
from ._html import render_html, render_parity_html
from ._junit import render_junit
from ._markdown import render_markdown, render_parity_markdown, render_summary_markdown
from ._redaction import redact

REPORT_FILES = {
    "json": "report.json",
    "junit": "junit.xml",
    "markdown": "report.md",
    "html": "report.html",
    "summary": "summary.md",
    "badge": "badge.json",
}
PARITY_FILES = {"json": "parity.json", "markdown": "parity.md", "html": "parity.html"}


class ReportError(ValueError):
    """A report file that cannot be read, or does not match report.schema.json."""


def render_json(result: Mapping[str, Any]) -> str:
    """report.json: the redacted result itself (ASCII-escaped, so any body survives the round trip)."""
    return json.dumps(redact(result), indent=2, ensure_ascii=True) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write to a temporary sibling, then rename: an interrupted write never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; reports are ordinary files
        opened = os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with opened as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_RENDERERS = {
    "json": render_json,
    "junit": render_junit,
    "markdown": render_markdown,
    "html": render_html,
    "summary": render_summary_markdown,
    "badge": render_badge,
}
_PARITY_RENDERERS = {"json": render_json, "markdown": render_parity_markdown, "html": render_parity_html}


def _write_all(result: Mapping[str, Any], report_dir: Path, renderers: dict, names: dict) -> dict[str, Path]:
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    safe = redact(result)
    written = {}
    for kind, renderer in renderers.items():  # JSON first: the others are only views of it
        path = report_dir / names[kind]
        write_atomically(path, renderer(safe))
        written[kind] = path
    return written


def write_reports(result: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """Write the reports of ``result`` into ``report_dir``; report.json first, since the others
    are only views of it. Returns the path of each, keyed json/junit/markdown/html/summary/badge."""
    return _write_all(result, report_dir, _RENDERERS, REPORT_FILES)


def write_parity_reports(result: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """parity.json, parity.md and parity.html of a parity result; keyed json/markdown/html."""
    return _write_all(result, report_dir, _PARITY_RENDERERS, PARITY_FILES)


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("amplify_reports").joinpath(name).read_text("utf-8"))


def report_schema() -> dict[str, Any]:
    """report.schema.json, read from the installed amplify_reports package."""
    return _schema("report.schema.json")


def parity_schema() -> dict[str, Any]:
    """parity.schema.json, the published format of parity.json."""
    return _schema("parity.schema.json")


def _validate(document: Any, schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ReportError(f"{where}: {error.message}")


def validate_report(report: Any) -> None:
    """Raise ReportError naming the first place (best match) where ``report`` breaks the schema."""
    _validate(report, report_schema())


def validate_parity(report: Any) -> None:
    """Raise ReportError naming the first place where a parity.json breaks parity.schema.json."""
    _validate(report, parity_schema())


def load_report(path: Path | str) -> dict[str, Any]:
    """Read a report.json and check it against the schema; ReportError says which file and what."""
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not JSON: {exc}") from None
    try:
        validate_report(report)
    except ReportError as exc:
        raise ReportError(f"{path}: not a conformance report: {exc}") from None
    return report
