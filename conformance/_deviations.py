"""Known deviations as data: the failures an implementation knowingly has, each with its reason.

A deviations file (YAML, ``reports/deviations.schema.json``) lists entries that match failing
checks by operation, check id (globs: ``*``, ``R3.*``), optionally level and a case pattern; each
says why (``reason``, and a ``link`` to the ticket), may expire (``expires``: after that date the
entry no longer applies and fails the run), and says when ``accept`` first and last saw its failure.
Applying it is a pure function over a finished result (the report.json dict): matched failures
get the verdict ``accepted`` with their reasons, every entry gets a status (``applied``,
``stale``: its checks ran and none failed, ``expired``: its ``expires`` date has passed, ``not-run``:
none of its checks ran), and the verdicts are graded again by ``_results.grade``. The CLI and
the pytest entry apply it after the run and before the reporters render.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ._checks import CHECKS
from ._results import grade, verdict_summary

TODO = "TODO"
_TODO = re.compile(rf"^\s*{TODO}\b")
STATUSES = ("applied", "stale", "expired", "not-run")


class DeviationsError(ValueError):
    """A deviations file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Deviation:
    """One entry of a deviations file."""

    operation: str
    check: str
    reason: str
    line: int
    level: str | None = None
    case: str | None = None
    expires: dt.date | None = None  # the last day it applies; after it, it fails the run
    link: str | None = None  # the ticket or page that tracks the deviation
    first_seen: str | None = None  # dates `accept` first and last saw the failure (YYYY-MM-DD)
    last_seen: str | None = None

    def covers(self, operation_id: str, check: Mapping[str, Any]) -> bool:
        """Whether this entry is about that operation's check (whatever its verdict)."""
        return (
            fnmatchcase(operation_id, self.operation)
            and fnmatchcase(str(check.get("name", "")), self.check)
            and self.level in (None, check.get("level"))
        )

    def matches(self, failure: Mapping[str, Any]) -> bool:
        """Whether one recorded failure is this deviation (always, without a case pattern)."""
        if self.case is None:
            return True
        return any(fnmatchcase(str(failure.get(key) or ""), self.case) for key in ("case", "message"))

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    @property
    def todo(self) -> bool:
        return bool(_TODO.match(self.reason))

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"line": self.line, "operation": self.operation, "check": self.check}
        entry.update({k: v for k, v in (("level", self.level), ("case", self.case)) if v is not None})
        entry["reason"] = self.reason
        optional = (
            ("link", self.link),
            ("expires", self.expires.isoformat() if self.expires else None),
            ("first-seen", self.first_seen),
            ("last-seen", self.last_seen),
        )
        entry.update({k: v for k, v in optional if v is not None})
        return entry


@dataclass(frozen=True)
class Deviations:
    """A loaded deviations file: where it came from, and its entries in file order."""

    file: str
    entries: tuple[Deviation, ...]

    def where(self, entry: Deviation) -> str:
        return f"{self.file}:{entry.line} ({entry.operation} {entry.check})"


# ---------------------------------------------------------------------------------------
# Reading and checking a file


@functools.cache
def deviations_schema() -> dict[str, Any]:
    """deviations.schema.json, read from the installed amplify_reports package."""
    return json.loads(resources.files("amplify_reports").joinpath("deviations.schema.json").read_text("utf-8"))


def load_deviations(path: Path | str, *, allow_todo: bool = False) -> Deviations:
    """Read and check a deviations file; DeviationsError says which file, which line and what.

    Entries whose reason is still TODO are refused unless ``allow_todo``: an accepted failure
    must say why it is accepted.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeviationsError(f"{path}: cannot read the deviations file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DeviationsError(f"{path}: the deviations file is not UTF-8 text") from None
    root, data = _parse(path, text)
    # first by line, but a missing key last: a misspelt key explains it better
    errors = sorted(_schema_errors(root, data), key=lambda e: ("is a required property" in e[1], e[0]))
    if errors:
        line, message = errors[0]
        more = f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
        raise DeviationsError(f"{path}:{line}: {message}{more}")
    items = _node_at(root, ["deviations"]).value
    entries = tuple(_entry(path, node, raw) for node, raw in zip(items, data["deviations"], strict=True))
    deviations = Deviations(str(path), entries)
    todo = [e for e in entries if e.todo]
    if todo and not allow_todo:
        which = ", ".join(f"line {e.line} ({e.operation} {e.check})" for e in todo)
        raise DeviationsError(
            f"{path}: {len(todo)} entr{'ies' if len(todo) > 1 else 'y'} still "
            f"{'have' if len(todo) > 1 else 'has'} reason {TODO}: {which}; write why each failure is "
            "accepted, or pass --allow-todo"
        )
    return deviations


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as written, so the JSON Schema judges `expires` as text
    (YAML would turn 2026-06-30 into a date, and fail on 2026-13-01 without saying where)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


def _parse(path: Path, text: str) -> tuple[yaml.MappingNode, Any]:
    """The YAML node tree (for line numbers) and the plain data."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DeviationsError(f"{path}{line}: not YAML: {problem}") from None
    finally:
        loader.dispose()
    if root is None:
        raise DeviationsError(f"{path}:1: the deviations file is empty; it needs a `deviations:` list")
    if not isinstance(root, yaml.MappingNode):
        raise DeviationsError(f"{path}:{_line(root)}: expected a mapping with a `deviations:` list")
    for node in _mappings(root):
        seen: set[Any] = set()
        for key, _ in node.value:
            if key.value in seen:
                raise DeviationsError(f"{path}:{_line(key)}: `{key.value}` is given twice in one entry")
            seen.add(key.value)
    return root, data


def _mappings(node: yaml.Node) -> Iterable[yaml.MappingNode]:
    if isinstance(node, yaml.MappingNode):
        yield node
        for _, value in node.value:
            yield from _mappings(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _mappings(item)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _node_at(root: yaml.Node, path: Iterable[Any]) -> yaml.Node:
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if k.value == str(step)]
            if not found:
                break
            node = found[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
    return node


def _schema_errors(root: yaml.MappingNode, data: Any) -> Iterable[tuple[int, str]]:
    """(line, message) for every place the file breaks deviations.schema.json, then the spec."""
    validator = jsonschema.Draft202012Validator(deviations_schema(), format_checker=jsonschema.FormatChecker())
    found = False
    for error in validator.iter_errors(data):
        found = True
        node = _node_at(root, error.absolute_path)
        where = _where(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(node, yaml.MappingNode):
            allowed = error.schema.get("properties", {})
            for key, _ in node.value:
                if key.value not in allowed:
                    hint = difflib.get_close_matches(str(key.value), allowed, n=1)
                    also = f" (did you mean `{hint[0]}`?)" if hint else f" (known: {', '.join(allowed)})"
                    yield _line(key), f"{where}unknown key `{key.value}`{also}"
            continue
        if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "reason":
            yield _line(node), f"{where}the reason is blank; say why this failure is accepted"
            continue
        yield _line(node), f"{where}{error.message}"
    if found:
        return
    import amplify_openapi

    operations = [op.operation_id for op in amplify_openapi.operations()]
    for index, entry in enumerate(data["deviations"]):
        node = _node_at(root, ["deviations", index])
        checks = [c for c, info in CHECKS.items() if entry.get("level") in (None, info.level)]
        for key, known in (("operation", operations), ("check", checks)):
            pattern = entry[key]
            if not any(fnmatchcase(name, pattern) for name in known):
                hint = difflib.get_close_matches(pattern, known, n=1)
                level = f" at level {entry['level']}" if key == "check" and entry.get("level") else ""
                also = f" (did you mean {hint[0]}?)" if hint else ""
                yield _line(_node_at(node, [key])), f"{key} {pattern!r} matches no {key} of the suite{level}{also}"


def _where(path: Iterable[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return f"{text}: " if text else ""


def _entry(path: Path, node: yaml.Node, raw: Mapping[str, Any]) -> Deviation:
    expires = raw.get("expires") or raw.get("until")  # until: its name before it failed the run
    return Deviation(
        operation=raw["operation"],
        check=raw["check"],
        reason=raw["reason"].strip(),
        line=_line(node),
        level=raw.get("level"),
        case=raw.get("case"),
        expires=dt.date.fromisoformat(expires) if expires else None,
        link=raw.get("link"),
        first_seen=raw.get("first-seen"),
        last_seen=raw.get("last-seen"),
    )


# ---------------------------------------------------------------------------------------
# Applying a file to a finished result


def apply_deviations(result: Mapping[str, Any], deviations: Deviations, today: dt.date | None = None) -> dict[str, Any]:
    """A copy of ``result`` (the report.json dict) with the failures that ``deviations`` names
    accepted, verdicts and summary graded again, and a ``deviations`` section saying what each
    entry did. ``today`` decides which entries have expired (default: the local date)."""
    today = today or dt.date.today()
    data = copy.deepcopy(dict(result))
    levels = list(data.get("levels") or ())
    active = [e for e in deviations.entries if not e.expired(today)]
    scope: set[Deviation] = set()
    matched: dict[Deviation, list[dict[str, str]]] = {}
    operations = []
    for op in data.get("operations", ()):
        operations.append(_judge_operation(op, active, levels or list(op.get("levels") or ()), scope, matched))
    data["operations"] = operations
    if operations and all("levels" in op for op in operations):
        data["summary"] = {**(data.get("summary") or {}), **verdict_summary(operations, levels)}
    entries = []
    for entry in deviations.entries:
        if entry.expired(today):
            status = "expired"
        elif entry in matched:
            status = "applied"
        elif entry in scope:
            status = "stale"
        else:
            status = "not-run"
        entries.append({**entry.to_dict(), "status": status, "matched": matched.get(entry, [])})
    data["deviations"] = {
        "file": deviations.file,
        "accepted": sum(c["verdict"] == "accepted" for op in operations for c in op.get("checks", ())),
        **{status: sum(e["status"] == status for e in entries) for status in STATUSES},
        "entries": entries,
    }
    return data


def accept_operation(
    operation: Mapping[str, Any], deviations: Deviations, levels: Iterable[str], today: dt.date | None = None
) -> dict[str, Any]:
    """One operation's result with its accepted failures (for progress lines during a run)."""
    active = [e for e in deviations.entries if not e.expired(today or dt.date.today())]
    return _judge_operation(copy.deepcopy(dict(operation)), active, list(levels), set(), {})


def _judge_operation(
    op: dict[str, Any],
    active: list[Deviation],
    levels: list[str],
    scope: set[Deviation],
    matched: dict[Deviation, list[dict[str, str]]],
) -> dict[str, Any]:
    op_id = str(op.get("operationId", "?"))
    changed = False
    for check in op.get("checks", ()):
        covering = [e for e in active if e.covers(op_id, check)]
        scope.update(covering)
        if check.get("verdict") != "fail" or not covering:
            continue
        accepted_by, hits, note = _judge_check(check, covering)
        for entry in hits:
            matched.setdefault(entry, []).append({"operationId": op_id, "check": str(check.get("name"))})
        if accepted_by:
            check["verdict"] = "accepted"
            check["accepted_by"] = [
                {"line": e.line, "reason": e.reason, **({"link": e.link} if e.link else {})} for e in accepted_by
            ]
            changed = True
        elif note:
            check["detail"] = f"{check.get('detail') or ''}; {note}".lstrip("; ")
    if changed:
        op["verdict"], op["levels"] = grade(op["checks"], list(op.get("errors") or ()), levels)
    return op


def _judge_check(check: Mapping[str, Any], covering: list[Deviation]) -> tuple[list[Deviation], list[Deviation], str]:
    """(entries that accept the check, entries that matched any failure, why it stays failed)."""
    whole = [e for e in covering if e.case is None]
    if whole:
        return whole, whole, ""
    failures = list(check.get("failures") or ())
    per_failure = [[e for e in covering if e.matches(f)] for f in failures]
    hits = sorted({e for found in per_failure for e in found}, key=lambda e: e.line)
    unmatched = sum(not found for found in per_failure)
    unseen = max(0, int(check.get("failed", len(failures))) - len(failures))
    if hits and not unmatched and not unseen:
        return hits, hits, ""
    if not hits:
        return [], [], ""
    if unmatched:
        return [], hits, f"{unmatched} of the failures shown match no deviation's case pattern"
    return [], hits, f"{unseen} failures are not kept in the report, so a case pattern cannot accept them"


def merge_sections(sections: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """One ``deviations`` section from those of several runs of one file (the pytest items):
    an entry is applied if any run applied it, stale if its checks ran somewhere and it
    applied nowhere."""
    sections = list(sections)
    if not sections:
        return None
    rank = {"expired": 0, "applied": 1, "stale": 2, "not-run": 3}
    merged: dict[int, dict[str, Any]] = {}
    for section in sections:
        for entry in section.get("entries", ()):
            known = merged.setdefault(entry["line"], {**entry, "matched": []})
            if rank[entry["status"]] < rank[known["status"]]:
                known["status"] = entry["status"]
            known["matched"] += entry.get("matched") or []
    entries = [merged[line] for line in sorted(merged)]
    return {
        "file": sections[0].get("file"),
        "accepted": sum(s.get("accepted", 0) for s in sections),
        **{status: sum(e["status"] == status for e in entries) for status in STATUSES},
        "entries": entries,
    }


def entry_notes(section: Mapping[str, Any]) -> list[str]:
    """What a CI log must say about a deviations file: the entries to remove."""
    notes = []
    for entry in section.get("entries", ()):
        where = f"{section.get('file')}:{entry['line']} ({entry['operation']} {entry['check']})"
        if entry["status"] == "stale":
            notes.append(f"stale deviation {where}: its checks ran and nothing it names failed; remove it")
        elif entry["status"] == "expired":
            notes.append(
                f"expired deviation {where}: past its expires date {entry['expires']}; it no longer applies "
                "and fails the run: fix what it names, or renew it"
            )
    return notes


# ---------------------------------------------------------------------------------------
# A starting file from a report

_HEADER = """\
# Known deviations of this implementation: failures that `amplify-conformance run --accept FILE`
# reports as accepted instead of failed. Written by `amplify-conformance accept {report}`.
# Replace every TODO with why the failure is accepted (TODO is refused without --allow-todo).
# An entry matches by `operation` (an operationId, or a glob: *) and `check` (a check id, or a
# family: R3.*); narrow it with `level:` or `case:` (a glob over the case label or the failure
# message), name the ticket with `link:`, and let it expire with `expires: YYYY-MM-DD` (after that
# day it fails the run). `first-seen` and `last-seen` are the dates of the first and the latest
# report `accept` wrote the entry from. Schema: amplify_reports/deviations.schema.json
"""


def starting_file(report: Mapping[str, Any], source: str = "report.json") -> str:
    """YAML with one entry per failing (operation, check) of ``report``, reason TODO, first and
    last seen the report's date; checks the report already accepted keep their reasons, links,
    expiry and first-seen date (last-seen becomes the report's), so the file can be written again."""
    seen = str(report.get("started_at") or dt.date.today().isoformat())[:10]
    by_line = {e.get("line"): e for e in (report.get("deviations") or {}).get("entries") or ()}
    entries = []
    for op in report.get("operations", ()):
        for check in op.get("checks", ()):
            entry: dict[str, Any] = {"operation": op.get("operationId"), "check": check.get("name")}
            if check.get("verdict") == "fail":
                entries.append({**entry, "reason": TODO, "first-seen": seen, "last-seen": seen})
            elif check.get("verdict") == "accepted":
                earlier = [by_line.get(a.get("line")) or {} for a in check.get("accepted_by") or ()]
                entry["reason"] = "; ".join(dict.fromkeys(a["reason"] for a in check.get("accepted_by") or ())) or TODO
                for key in ("link", "expires"):
                    values = list(dict.fromkeys(e[key] for e in earlier if e.get(key)))
                    if values:
                        entry[key] = values[0] if key == "expires" else " ".join(values)
                entry["first-seen"] = min([e["first-seen"] for e in earlier if e.get("first-seen")] + [seen])
                entry["last-seen"] = seen
                entries.append(entry)
    body = yaml.safe_dump({"deviations": entries}, sort_keys=False, allow_unicode=True, width=120)
    return _HEADER.format(report=source) + body
