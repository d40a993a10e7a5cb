"""Parity: the same deterministic plan sent to two implementations, answers compared pair by pair.

The contract says what every implementation must do; parity shows where two of them (or one and
a recording of another) answer differently where the contract is silent: which members they
send, what their messages say, how they name things. Each side runs in its own fresh worlds;
what is expected to differ is normalised away first (_normalise.RULES). Each difference has a
level: ``aws`` for the x-amzn-* headers, ``schema`` for status, media type, CORS headers and which
members are present with which types, ``behaviour`` for values and for the plan itself diverging
(requests that differ, or were sent on one side only, because an earlier answer differed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import amplify_openapi as spec

from . import _checks as C
from ._normalise import RULE_NAMES, RULES, TRANSIENT
from ._options import check_seed, resolve_seed
from ._recording import (
    COMPARE_TIME_RULES,
    ParityError,
    Recorder,
    check_plan,
    conformance_of,
    entry_key,
    load_recording,
    plan_of,
)
from ._runner import RunOptions, __version__, run
from ._target import Exchange, TargetUnreachable

MAX_FIELDS = 40  # field differences kept per pair; the rest are counted


@dataclass(frozen=True)
class ParityOptions:
    """Side A is always a live target; side B is another (``b``) or a recording (``recording``).

    Both run the deterministic plan only (no fuzzing, no stateful or model-based phase):
    ``max_examples``, ``stateful`` and ``model`` of the given RunOptions are overridden."""

    a: RunOptions
    b: RunOptions | None = None
    recording: Path | str | None = None
    levels: tuple[str, ...] = C.LEVELS
    no_normalise: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParityResult:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def differs(self) -> bool:
        return any(op["verdict"] == "differ" for op in self.data["operations"]) or not self.data["complete"]


@dataclass
class _Side:
    label: str
    source: dict[str, Any]  # what it is: a base URL or a recording file
    entries: list[dict[str, Any]]
    raw: dict[tuple, Exchange]
    conformance: dict[str, Any]
    applied: dict[str, int]


def parity(options: ParityOptions) -> ParityResult:
    """Compare side A with side B; raises ParityError when it cannot be made (exit 2)."""
    if (options.b is None) == (options.recording is None):
        raise ParityError("parity needs exactly one of: a second target (b) or a recording")
    unknown = set(options.no_normalise) - set(RULE_NAMES)
    if unknown:
        raise ParityError(f"unknown normalisation rule {sorted(unknown)[0]!r}; known: {', '.join(RULE_NAMES)}")
    bad_levels = set(options.levels) - set(C.LEVELS)
    if bad_levels:
        raise ParityError(f"unknown level(s): {', '.join(sorted(bad_levels))}; known: {', '.join(C.LEVELS)}")
    try:
        check_seed(options.a.seed)
    except ValueError as exc:
        raise ParityError(str(exc)) from None
    started = datetime.now(UTC)
    disabled = frozenset(options.no_normalise)
    if options.recording is not None:
        recorded = load_recording(options.recording)
        recorded_off = set((recorded.get("normalisation") or {}).get("disabled") or ())
        undoable = sorted(disabled - recorded_off - COMPARE_TIME_RULES)
        if undoable:
            raise ParityError(
                f"{options.recording}: recorded with rule {undoable[0]!r} applied, which cannot be undone; "
                "leave out --no-normalise, or compare two live targets"
            )
        record_off = frozenset(recorded_off | (disabled & COMPARE_TIME_RULES))
        plan = recorded["plan"]
        a = _deterministic(
            options.a,
            seed=plan.get("seed") if options.a.seed is None else resolve_seed(options.a.seed)[0],
            operations=options.a.operations or tuple(plan.get("operations") or ()) or None,
        )
        check_plan(plan, plan_of(a, a.seed), str(options.recording))
        side_a = _live("A", a, record_off)
        side_b = _recorded("B", recorded, str(options.recording))
        disabled = frozenset(record_off | disabled)
    else:
        seed, _ = resolve_seed(options.a.seed)  # the plan is deterministic: no fuzz, the fixed default
        a = _deterministic(options.a, seed=seed, operations=options.a.operations)
        b = _deterministic(options.b, seed=seed, operations=options.a.operations)
        if plan_of(a, a.seed) != plan_of(b, b.seed):
            raise ParityError("the two sides would send different plans (operations, seed or --app-id differ)")
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="parity") as pool:
            future_a = pool.submit(_live, "A", a, disabled)
            future_b = pool.submit(_live, "B", b, disabled)
            side_a, side_b = future_a.result(), future_b.result()
    return ParityResult(_compare(side_a, side_b, a, options.levels, disabled, started))


def _deterministic(options: RunOptions, **changes: Any) -> RunOptions:
    return dataclasses.replace(options, max_examples=0, stateful=False, model=0, **changes)


def _live(label: str, options: RunOptions, disabled: Iterable[str]) -> _Side:
    recorder = Recorder(options.app_id, disabled)
    try:
        result = run(options, recorder=recorder).to_dict()
    except TargetUnreachable as exc:
        raise ParityError(f"side {label}: {exc}") from None
    except ValueError as exc:
        raise ParityError(f"side {label}: {exc}") from None
    target = result.get("target") or {}
    return _Side(
        label,
        {"kind": target.get("kind", "url"), "base_url": target.get("base_url")},
        recorder.entries(),
        recorder.raw,
        conformance_of(result),
        dict(recorder.applied()),
    )


def _recorded(label: str, recorded: Mapping[str, Any], path: str) -> _Side:
    target = recorded.get("target") or {}
    return _Side(
        label,
        {
            "kind": "recording",
            "recording": path,
            "base_url": target.get("base_url"),
            "recorded_at": recorded.get("recorded_at"),
        },
        list(recorded["exchanges"]),
        {},
        recorded.get("conformance") or {"summary_line": "", "complete": True, "operations": {}},
        dict((recorded.get("normalisation") or {}).get("applied") or {}),
    )


# ---------------------------------------------------------------------------------------
# comparing


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _field(where: str, kind: str, level: str, a: Any, b: Any) -> dict[str, Any]:
    return {"where": where, "kind": kind, "level": level, "a": a, "b": b}


def _body_fields(a: Any, b: Any, where: str, out: list) -> None:
    """Members present on one side only and types (schema), values (behaviour)."""
    ta, tb = _json_type(a), _json_type(b)
    if ta != tb:
        out.append(_field(where, "type", "schema", ta, tb))
    elif ta == "object":
        for key in sorted(set(a) | set(b)):
            inner = f"{where}.{key}"
            if key not in b:
                out.append(_field(inner, "only-a", "schema", a[key], None))
            elif key not in a:
                out.append(_field(inner, "only-b", "schema", None, b[key]))
            else:
                _body_fields(a[key], b[key], inner, out)
    elif ta == "array":
        if len(a) != len(b):
            out.append(_field(where, "length", "behaviour", len(a), len(b)))
        else:
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _body_fields(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(_field(where, "value", "behaviour", a, b))


def _header_level(name: str) -> str:
    return "aws" if name.lower().startswith("x-amzn-") else "schema"


def _pair_fields(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if a["request"] != b["request"]:
        _body_fields(a["request"], b["request"], "request", out)
        for field in out:
            field["level"] = "behaviour"  # the plans diverged: an earlier answer differed
    ra, rb = a.get("response"), b.get("response")
    if ra is None or rb is None:
        if (ra is None) != (rb is None):
            out.append(
                _field(
                    "answer",
                    "only-b" if ra is None else "only-a",
                    "schema",
                    a.get("error") if ra is None else ra.get("status"),
                    b.get("error") if rb is None else rb.get("status"),
                )
            )
        return out
    if ra["status"] != rb["status"]:
        out.append(_field("status", "value", "schema", ra["status"], rb["status"]))
    ha, hb = ra.get("headers") or {}, rb.get("headers") or {}
    la, lb = {k.lower(): k for k in ha}, {k.lower(): k for k in hb}
    for name in sorted(set(la) | set(lb)):
        level = _header_level(name)
        if name not in lb:
            out.append(_field(f"header {la[name]}", "only-a", level, ha[la[name]], None))
        elif name not in la:
            out.append(_field(f"header {lb[name]}", "only-b", level, None, hb[lb[name]]))
        else:
            if la[name] != lb[name]:
                out.append(_field(f"header {name}", "name", level, la[name], lb[name]))
            if ha[la[name]] != hb[lb[name]]:
                out.append(_field(f"header {name}", "value", level, ha[la[name]], hb[lb[name]]))
    body_a = ra.get("json", ra.get("text")) if ("json" in ra or "text" in ra) else _ABSENT
    body_b = rb.get("json", rb.get("text")) if ("json" in rb or "text" in rb) else _ABSENT
    if body_a is _ABSENT or body_b is _ABSENT:
        if (body_a is _ABSENT) != (body_b is _ABSENT):
            kind = "only-b" if body_a is _ABSENT else "only-a"
            out.append(_field("body", kind, "schema", None if body_a is _ABSENT else body_a, _none(body_b)))
    elif ("json" in ra) != ("json" in rb):
        out.append(
            _field("body", "type", "schema", "json" if "json" in ra else "text", "json" if "json" in rb else "text")
        )
    else:
        _body_fields(body_a, body_b, "body", out)
    return out


_ABSENT = object()


def _none(value: Any) -> Any:
    return None if value is _ABSENT else value


def _exchange_view(side: _Side, entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a difference shows of one side: the exchange as sent and received (a live side), or
    as recorded (normalised)."""
    if entry is None:
        return None
    raw = side.raw.get(entry_key(entry))
    if raw is None:
        return {
            "recorded": True,
            "request": entry["request"],
            "response": entry.get("response"),
            "error": entry.get("error"),
        }
    return {
        "recorded": False,
        "request": raw.request.to_dict(),
        "response": raw.reply.to_dict() if raw.reply else None,
        "error": raw.error,
        "curl": raw.request.curl(),
    }


def _op_record(operation_id: str) -> dict[str, Any]:
    """An operation's part: the pairs its unit sent, and the differences first seen at it."""
    return {"operationId": operation_id, "pairs": 0, "compared": 0, "skipped": 0, "differences": []}


def _cause(sent: list[tuple], first: Mapping[str, Any], found: Mapping[str, list[dict[str, Any]]]) -> str:
    """The operation a unit's differences are charged to.

    ``sent`` is the unit's exchanges (keys) in the order sent, ``first`` its first difference. A read
    of state (another operation than the one exercised before it) that differs while that read's
    own unit begins alike only shows what an earlier write did: the difference is charged to the
    latest other operation sent before it. Otherwise to the operation whose answer differed."""
    unit, op_id = first["unit"], first["operationId"]
    own = found.get(op_id)
    if op_id == unit or (own and own[0]["operationId"] == op_id):
        return op_id
    before = sent[: sent.index(first["key"])]
    operations = {op.operation_id for op in spec.operations()}
    return next((key[1] for key in reversed(before) if key[1] != op_id and key[1] in operations), op_id)


def _compare(
    side_a: _Side,
    side_b: _Side,
    options: RunOptions,
    levels: tuple[str, ...],
    disabled: frozenset[str],
    started: datetime,
) -> dict[str, Any]:
    index_a = {entry_key(e): e for e in side_a.entries}
    index_b = {entry_key(e): e for e in side_b.entries}
    units: dict[str, list[tuple]] = {}
    for key in list(index_a) + [k for k in index_b if k not in index_a]:
        units.setdefault(key[0], []).append(key)
    wanted = set(plan_of(options, None)["operations"])
    per_op = {op.operation_id: _op_record(op.operation_id) for op in spec.operations() if op.operation_id in wanted}
    transient = "transient-status" not in disabled
    skipped_transient = 0
    found: dict[str, list[dict[str, Any]]] = {}  # unit -> its differences, in the order sent
    for unit in sorted(units):
        for key in units[unit]:
            ea, eb = index_a.get(key), index_b.get(key)
            entry = ea or eb
            op_id = entry.get("operationId") or unit
            if ea is None or eb is None:
                kind = "only-b" if ea is None else "only-a"
                fields = [_field("exchange", kind, "behaviour", ea is not None, eb is not None)]
            else:
                statuses = {(e.get("response") or {}).get("status") for e in (ea, eb)}
                if transient and statuses & set(TRANSIENT):
                    per_op.setdefault(unit, _op_record(unit))["skipped"] += 1
                    skipped_transient += 1
                    continue
                per_op.setdefault(unit, _op_record(unit))["compared"] += 1
                fields = _pair_fields(ea, eb)
            per_op.setdefault(unit, _op_record(unit))["pairs"] += 1
            fields = [f for f in fields if f["level"] in levels]
            if fields:
                found.setdefault(unit, []).append(
                    {
                        "key": key,
                        "unit": unit,
                        "operationId": op_id,
                        "case": entry.get("case"),
                        "n": key[3],
                        "request": f"{entry['request']['method']} {entry['request']['path']}",
                        "follows": None,
                        "fields": fields[:MAX_FIELDS],
                        "more_fields": max(0, len(fields) - MAX_FIELDS),
                        "a": _exchange_view(side_a, ea),
                        "b": _exchange_view(side_b, eb),
                    }
                )
    for unit, differences in found.items():
        cause = _cause(units[unit], differences[0], found)
        where = f"{differences[0]['case'] or differences[0]['operationId']}#{differences[0]['n']}"
        for n, difference in enumerate(differences):
            if n and difference["operationId"] != cause:
                difference["follows"] = f"{differences[0]['operationId']} ({where})"
            del difference["key"]
            per_op.setdefault(cause, _op_record(cause))["differences"].append(difference)
    operations = []
    for op_id, record in per_op.items():
        record["verdict"] = "differ" if record["differences"] else "same"
        record["conformance"] = {
            "a": (side_a.conformance.get("operations") or {}).get(op_id, {}).get("verdict"),
            "b": (side_b.conformance.get("operations") or {}).get(op_id, {}).get("verdict"),
        }
        operations.append(record)
    applied = {name: side_a.applied.get(name, 0) + side_b.applied.get(name, 0) for name in RULE_NAMES}
    applied["transient-status"] = skipped_transient
    incomplete = [
        f"side {s.label}: {s.conformance.get('incomplete_reason') or 'run cut short'}"
        for s in (side_a, side_b)
        if not s.conformance.get("complete", True)
    ]
    differing = [op for op in operations if op["verdict"] == "differ"]
    return {
        "tool": {"name": "amplify-conformance", "version": __version__},
        "kind": "parity",
        "levels": list(levels),
        "plan": plan_of(options, options.seed),
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "complete": not incomplete,
        "incomplete_reason": "; ".join(incomplete) or None,
        "sides": {side.label.lower(): {**side.source, "conformance": side.conformance} for side in (side_a, side_b)},
        "normalisation": [
            {"name": r.name, "reason": r.reason, "enabled": r.name not in disabled, "applied": applied[r.name]}
            for r in RULES
        ],
        "summary": {
            "operations": len(operations),
            "same": len(operations) - len(differing),
            "differ": len(differing),
            "pairs": sum(op["pairs"] for op in operations),
            "compared": sum(op["compared"] for op in operations),
            "skipped": skipped_transient,
            "differences": sum(len(op["differences"]) for op in operations),
        },
        "operations": operations,
    }
