"""Credentials out, and text every format can show: the last line of defence before the disk.

Whatever the runner hands over is redacted again here, so no report (nor a parity report or a
recording) can carry a secret the runner missed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Bodies longer than this are cut in the human-readable reports (report.json keeps them whole).
DISPLAY_BODY_LIMIT = 8192

REDACTED = "<redacted>"
_SECRET_HEADER_NAME = re.compile(r"token|secret|authorization|cookie", re.IGNORECASE)
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
# "Name: value" inside a curl command line: quoted -H 'Authorization: ...' (the value runs to the
# closing quote, across shell-escaped quotes) or unquoted -H Cookie:abc (the value runs to a space).
_SECRET_NAME = r"[A-Za-z0-9-]*(?:token|secret|authorization|cookie)[A-Za-z0-9-]*"
_SECRET_HEADER_LINE = re.compile(
    rf"(?i)(?P<quote>['\"])(?P<name>{_SECRET_NAME}\s*:\s*)(?P<value>(?:'\"'\"'|'\\''|(?!(?P=quote))[^\r\n])*)"
    rf"|(?<![^\s])(?P<bare>{_SECRET_NAME}:)(?P<bare_value>\S*)"
)
# Presigned-URL style credentials in a query string.
_SECRET_QUERY = re.compile(
    r"(?i)(?P<name>[?&](?:x-amz-(?:security-token|signature|credential)|[^=&\s]*secret[^=&\s]*)=)"
    r"(?P<value>[^&\s'\"#]*)"
)
# Characters XML 1.0 cannot carry at all, and that browsers and terminals show badly.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def redact(value: Any) -> Any:
    """A copy of ``value`` with credentials removed: secret-looking headers, AWS access key ids,
    presigned query credentials, and the same inside curl reproducers."""
    return _redact(value, key=None)


def _redact(value: Any, key: str | None) -> Any:
    if isinstance(value, Mapping):
        if key == "headers":
            return {k: (REDACTED if _SECRET_HEADER_NAME.search(str(k)) else _redact(v, None)) for k, v in value.items()}
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if key == "headers" and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
            return [[n, REDACTED if _SECRET_HEADER_NAME.search(str(n)) else _redact(v, None)] for n, v in value]
        return [_redact(v, None) for v in value]
    if isinstance(value, str):
        text = _ACCESS_KEY_ID.sub(REDACTED, value)
        text = _SECRET_QUERY.sub(lambda m: m["name"] + REDACTED, text)
        if key == "curl":
            text = _SECRET_HEADER_LINE.sub(_redact_header_line, text)
        return text
    return value


def _redact_header_line(match: re.Match[str]) -> str:
    if match["bare"]:
        return match["bare"] + REDACTED
    return match["quote"] + match["name"] + REDACTED


def visible(text: str) -> str:
    """Control characters and lone surrogates as visible escapes (XML cannot carry them at all)."""
    return _INVISIBLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def displayable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: displayable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [displayable(v) for v in value]
    if isinstance(value, str):
        return visible(value)
    return value


def cut(text: str | None, limit: int = DISPLAY_BODY_LIMIT) -> str:
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... ({len(text) - limit} more characters in report.json)"
