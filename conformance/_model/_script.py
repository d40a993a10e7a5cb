"""A failing sequence as a person reads it (numbered requests, what the model allowed and what
came back) and as a bash script that sends it again with curl."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from .._target import NO_BODY
from ._sequence import Entry

_IDS = ("sessionId", "jobId")
_HELPERS = r"""call() {  # METHOD PATH [BODY]: prints the status, keeps the body in ANSWER
  local out
  out=$(curl -sS -X "$1" "$BASE$2" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} -w $'\n%{http_code}')
  ANSWER=${out%$'\n'*}; STATUS=${out##*$'\n'}
  echo "$1 $2 -> $STATUS"
}
id_of() {  # MEMBER: that member of ANSWER, URL-encoded
  printf '%s' "$ANSWER" | python3 -c '
import json, sys, urllib.parse
print(urllib.parse.quote(str(json.load(sys.stdin)[sys.argv[1]]), safe=""))' "$1"
}"""


def listing(entries: list[Entry]) -> str:
    """The numbered requests, one a line: what was sent, what the model allowed, what came back."""
    return "\n".join(f"{e.number}. {e.step}: {e.method} {e.url} -> {e.answered} (model: {e.expected})" for e in entries)


def script(entries: list[Entry], base_url: str, app_ids: tuple[str, ...], headline: str) -> str:
    """A bash script that sends the sequence again (fresh names: set APP0/APP1 to replay on a target
    that still holds the first run's apps). Ids the target hands out are read from its answers."""
    lines = [
        "#!/usr/bin/env bash",
        f"# {headline}",
        "# Sends the sequence again and prints each status; the last line says what the model expected.",
        "# Needs curl and python3; add the headers your target needs (an API key, say) to the curl line.",
        "set -u",
        f"BASE=${{BASE:-{shlex.quote(base_url.rstrip('/'))}}}",
    ]
    names = {app: f"APP{i}" for i, app in enumerate(app_ids)}
    lines += [f"{var}=${{{var}:-{app}}}" for app, var in names.items()]
    lines += _HELPERS.splitlines()
    handed: dict[str, str] = {}  # an id's URL form -> its shell variable
    base = base_url.rstrip("/")
    for entry in entries:
        path = entry.url[len(base) :] if entry.url.startswith(base) else entry.url
        path = _substitute(path, names, handed)
        args = f'{entry.method} "{path}"'
        if entry.body is not NO_BODY and entry.body is not None:
            args += " " + _quoted_body(entry.body, names)
        lines.append(
            f"# {entry.number}. {entry.step}: the model allows {entry.expected}; the target answered {entry.answered}"
        )
        lines.append(f"call {args}")
        answer = _answer(entry)
        for member in _IDS:
            value = answer.get(member)
            if isinstance(value, str) and value and _url_form(value) not in handed and member in _made_by(entry):
                var = f"{member[0].upper()}{len(handed) + 1}"  # S1 for a sessionId, J2 for a jobId
                handed[_url_form(value)] = var
                lines.append(f"{var}=$(id_of {member})")
    last = entries[-1]
    lines.append(f"echo {shlex.quote(f'expected: {last.expected}; the target answered {last.answered}')}")
    return "\n".join(lines) + "\n"


def _made_by(entry: Entry) -> tuple[str, ...]:
    """Which ids an answer hands out (a read's answer names ids the sequence already has)."""
    op = entry.step.split("(", 1)[0]
    if op == "CreateToken":
        return ("sessionId",)
    if op in ("GetToken", "GetBackendJob", "UpdateBackendJob", "ListBackendJobs", "RemoveAllBackends"):
        return ()
    return ("jobId",)


def _answer(entry: Entry) -> dict[str, Any]:
    reply = entry.exchange.reply
    body = reply.json() if reply is not None else None
    return body if isinstance(body, dict) else {}


def _url_form(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _substitute(path: str, names: dict[str, str], handed: dict[str, str]) -> str:
    for app, var in names.items():
        path = re.sub(rf"(?<=/){re.escape(app)}(?=/|$)", f"${{{var}}}", path)
    for value, var in handed.items():
        path = path.replace(value, f"${{{var}}}")
    return path


def _quoted_body(body: Any, names: dict[str, str]) -> str:
    text = json.dumps(body, ensure_ascii=True, separators=(",", ":"))
    quoted = "'" + text.replace("'", "'\\''") + "'"
    for app, var in names.items():
        quoted = quoted.replace(json.dumps(app), f'"\'"${var}"\'"')
    return quoted
