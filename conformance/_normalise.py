"""What is expected to differ between two runs, taken out before parity compares answers.

The rules are data: each has a name (``--no-normalise NAME`` turns it off) and the reason it
exists, and a Normaliser counts how often each one changed something, so a parity report says
which rules applied. A Normaliser serves one unit of one run: a name it hands out says where the
value first appeared (``<jobId@CreateBackend#1>``: in the answer to the first CreateBackend of the
unit), so a later request or answer naming the same thing again still compares, one naming
another does not, and a value that one side alone made up shifts no other name.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._target import Exchange


@dataclass(frozen=True)
class Rule:
    name: str
    reason: str


RULES: tuple[Rule, ...] = (
    Rule(
        "run-names",
        "appIds, environment names (and the probes' near misses of them) and probe identifiers (ghost..., job..., "
        "s..., nv..., conformance-...) are made up anew by every run",
    ),
    Rule(
        "server-ids",
        "jobId, sessionId, challengeCode and nextToken are the target's own choice (identifier formats are open); "
        "they compare by which earlier value they repeat (a probe's near miss of one, by how it differs)",
    ),
    Rule(
        "request-ids",
        "x-amzn-RequestId is unique to every answer (AWS wire conventions): only its presence compares, and"
        " whether it repeats one of the unit's earlier answers",
    ),
    Rule(
        "timestamps",
        "createTime, updateTime, creationDate and expirationTime say when the target did something: only their "
        "presence and type compare",
    ),
    Rule(
        "list-order",
        "the contract fixes the order of no array in an answer (jobs in a listing, echoed arrays, environment "
        "lists): arrays compare as multisets",
    ),
    Rule("header-name-case", "header-name case is open (HTTP header names are case-insensitive)"),
    Rule(
        "header-lists",
        "Access-Control-Allow-Methods and -Headers are comma-separated lists whose order, spacing and letter "
        "case are open",
    ),
    Rule(
        "media-type-parameters", "charset and other media-type parameters are open (R2): Content-Type compares by type"
    ),
    Rule("error-type-suffix", "AWS may append ':' and a URI to x-amzn-ErrorType, which clients strip"),
    Rule(
        "polls",
        "a read the suite repeats until state settles (CONTRACT 'Asynchrony') is sent as often as the target "
        "needs: the same request sent again in a row counts once, with its last answer",
    ),
    Rule(
        "transient-status",
        "429 and 504 are legitimate at any time (R9): a pair where either side got one is not compared",
    ),
)
RULE_NAMES = tuple(rule.name for rule in RULES)

#: The answer headers parity compares; the rest (Date, Server, Content-Length, ...) are transport.
COMPARED_HEADERS = (
    "content-type",
    "x-amzn-errortype",
    "x-amzn-requestid",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
)
_HEADER_LISTS = ("access-control-allow-methods", "access-control-allow-headers")
SERVER_ID_MEMBERS = ("jobId", "sessionId", "challengeCode", "nextToken")
TIMESTAMP_MEMBERS = ("createTime", "updateTime", "creationDate", "expirationTime")
TRANSIENT = (429, 504)
_MIN_EMBEDDED = 8  # a server id shorter than this is replaced only where it is a whole value


def _run_name_patterns(run_id: str, app_id: str | None) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The names _runner.Run and its units make up (new_names, the not-found probes, the job marks)."""
    edge = r"(?<![A-Za-z0-9])"
    patterns = [
        # the app names, and the near misses the not-found probes make of them (letter case swapped,
        # the last character cut)
        ("app", rf"{edge}(?i:ac{re.escape(run_id)}(?:st)?)\d{{2,3}}"),
        ("env", rf"{edge}(?i:dev{re.escape(run_id[:3])})\d{{2,3}}"),  # and its near misses, as the app's
        ("ghost", rf"{edge}ghost[0-9a-f]{{10}}"),
        ("job", rf"{edge}job[0-9a-f]{{12}}"),
        ("session", rf"{edge}s[0-9a-f]{{12}}"),
        ("env", rf"{edge}nv[0-9a-f]{{8}}"),
        ("mark", r"(?i:conformance-?)[0-9a-f]{6}"),
    ]
    if app_id:
        patterns.insert(0, ("app", rf"(?i:{re.escape(app_id[:-1])}(?:{re.escape(app_id[-1:])})?)"))
    return tuple((kind, re.compile(p)) for kind, p in patterns)


class Normaliser:
    """Normalises the exchanges of one unit of one run, in the order the unit sent them."""

    def __init__(self, run_id: str, app_id: str | None = None, disabled: Iterable[str] = ()) -> None:
        self.disabled = frozenset(disabled)
        unknown = self.disabled - set(RULE_NAMES)
        if unknown:
            raise ValueError(f"unknown normalisation rule(s): {', '.join(sorted(unknown))}")
        self._patterns = _run_name_patterns(run_id, app_id) if self.on("run-names") else ()
        self._names: dict[str, str] = {}  # value -> placeholder
        self._where = "?"  # the exchange being normalised, as its unit labels it
        self._kinds: Counter[str] = Counter()  # per exchange: new names of each kind
        self._server_ids: dict[str, str] = {}  # value -> placeholder, longest first when replacing
        self._near_ids: dict[str, str] = {}  # a near miss of a server id -> what it is
        self._request_ids: set[str] = set()  # seen in this unit: a repeated one is a difference
        self.applied: Counter[str] = Counter()

    def on(self, rule: str) -> bool:
        return rule not in self.disabled

    # ---- values -----------------------------------------------------------------------------

    def _placeholder(self, value: str, kind: str) -> str:
        if value not in self._names:
            self._kinds[kind] += 1
            nth = f"/{self._kinds[kind]}" if self._kinds[kind] > 1 else ""
            self._names[value] = f"<{kind}@{self._where}{nth}>"
        return self._names[value]

    def text(self, value: str) -> str:
        """A string with every run-made name and every known server id in it replaced."""
        if value in self._server_ids:
            self.applied["server-ids"] += 1
            return self._server_ids[value]
        if value in self._near_ids:
            self.applied["server-ids"] += 1
            return self._near_ids[value]
        for kind, pattern in self._patterns:
            value, n = pattern.subn(lambda m, kind=kind: self._placeholder(m[0], kind), value)
            self.applied["run-names"] += n
        for known, placeholder in self._server_ids.items():
            if len(known) >= _MIN_EMBEDDED and known in value:
                value = value.replace(known, placeholder)
                self.applied["server-ids"] += 1
        for near, placeholder in self._near_ids.items():  # whole words only: a cut id is in many others
            if len(near) >= _MIN_EMBEDDED and near in value:
                value, n = re.subn(rf"(?<![A-Za-z0-9]){re.escape(near)}(?![A-Za-z0-9])", placeholder, value)
                self.applied["server-ids"] += n
        return value

    def value(self, value: Any, member: str | None = None, *, answer: bool = False) -> Any:
        """A JSON value with its names replaced; in an answer, server ids and timestamps too."""
        if answer and member in SERVER_ID_MEMBERS and isinstance(value, str) and self.on("server-ids"):
            if value not in self._server_ids and value not in self._names:
                self._server_ids[value] = self._placeholder(value, member)
                # the not-found probes' near misses of it (R7: identifiers are compared exactly)
                for near, how in ((value.swapcase(), "letter case swapped"), (value[:-1], "last character cut")):
                    if near and near != value:
                        self._near_ids[near] = f"<a server id, {how}>"  # ids may share a prefix
        if answer and member in TIMESTAMP_MEMBERS and self.on("timestamps") and not isinstance(value, bool):
            if isinstance(value, str | int | float):
                self.applied["timestamps"] += 1
                return "<timestamp>" if isinstance(value, str) else 0
        if isinstance(value, dict):
            return {self.text(k): self.value(v, k, answer=answer) for k, v in value.items()}
        if isinstance(value, list):
            items = [self.value(v, member, answer=answer) for v in value]
            if answer and self.on("list-order") and len(items) > 1:
                ordered = sorted(items, key=_canonical)
                self.applied["list-order"] += ordered != items
                items = ordered
            return items
        if isinstance(value, str):
            return self.text(value)
        return value

    # ---- exchanges --------------------------------------------------------------------------

    def header(self, name: str, value: str) -> str:
        if name == "x-amzn-requestid" and self.on("request-ids"):
            self.applied["request-ids"] += 1
            repeated = value in self._request_ids
            self._request_ids.add(value)
            return "<request-id, repeated>" if repeated else "<request-id>"
        if name == "content-type" and self.on("media-type-parameters") and ";" in value:
            self.applied["media-type-parameters"] += 1
            return value.split(";", 1)[0].strip().lower()
        if name == "x-amzn-errortype" and self.on("error-type-suffix") and ":" in value:
            self.applied["error-type-suffix"] += 1
            return value.split(":", 1)[0].strip()
        if name in _HEADER_LISTS and self.on("header-lists"):
            items = sorted({p.strip().lower() for p in value.split(",") if p.strip()})
            if ",".join(items) != value:
                self.applied["header-lists"] += 1
            return ",".join(items)
        return self.text(value)

    def exchange(
        self, where: str, method: str, path: str, params: dict[str, str], exchange: Exchange
    ) -> dict[str, Any]:
        """The request and its answer as plain data, everything expected to differ taken out;
        ``where`` names the exchange within its unit (the names first seen in it say so)."""
        self.at(where)
        return {"request": self.request(method, path, params, exchange), **self.answer(exchange)}

    def at(self, where: str) -> None:
        """Name the exchange about to be normalised, for the names first seen in it."""
        self._where, self._kinds = where, Counter()

    def request(self, method: str, path: str, params: dict[str, str], exchange: Exchange) -> dict[str, Any]:
        sent = exchange.request
        request: dict[str, Any] = {
            "method": method,
            "path": path,
            "params": {k: self.text(str(v)) for k, v in sorted(params.items())},
        }
        request.update(self._body(sent.body, answer=False))
        return request

    def answer(self, exchange: Exchange) -> dict[str, Any]:
        reply = exchange.reply
        if reply is None:
            return {"response": None, "error": exchange.error or "no answer"}
        headers = {}
        spelled = {n.lower(): n for n in reply.header_names}
        for name in COMPARED_HEADERS:
            if name in reply.headers:
                shown = name if self.on("header-name-case") else spelled.get(name, name)
                if shown != spelled.get(name, name):
                    self.applied["header-name-case"] += 1
                headers[shown] = self.header(name, reply.headers[name])
        response = {"status": reply.status, "headers": headers, **self._body(reply.body, answer=True)}
        if reply.truncated:
            response["truncated"] = True
        return {"response": response}

    def _body(self, body: bytes | None, *, answer: bool) -> dict[str, Any]:
        if body is None or body == b"":
            return {}
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {"text": self.text(body.decode("utf-8", "backslashreplace"))}
        return {"json": self.value(parsed, answer=answer)}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True)
