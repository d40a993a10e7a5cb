"""Answers recorded once and compared later: every exchange of the deterministic plan, normalised.

A Recorder is a run's recorder (``run(options, recorder=...)``): it normalises each exchange as
its unit sends it and keys it by the unit, the operation, the case label and how many times that
label came before in the unit, so the same request of two runs pairs up whatever the order in
which the units ran. A recording file is that list plus what made it (tool version, spec, seed,
operations), one exchange per line so that two recordings diff well; ``.gz`` compresses it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from ._normalise import RULE_NAMES, Normaliser
from ._reporting import redact, summary_line
from ._reporting._files import write_atomically
from ._runner import PlanExchange, RunOptions, __version__

FORMAT = "amplify-conformance-recording"
FORMAT_VERSION = 1
#: Rules applied when pairs are compared, not when an exchange is recorded.
COMPARE_TIME_RULES = frozenset({"transient-status"})


class ParityError(ValueError):
    """Parity cannot be made: a side unreachable, a recording unreadable or of another plan."""


def spec_digest() -> str:
    """sha256 of the spec the plan is derived from."""
    import amplify_openapi

    data = resources.files(amplify_openapi).joinpath("amplifybackend.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()


def plan_of(options: RunOptions, seed: int | None) -> dict[str, Any]:
    """What decides which requests the deterministic plan sends; two runs compare only if equal."""
    import amplify_openapi

    operations = options.operations or [op.operation_id for op in amplify_openapi.operations()]
    return {
        "tool": __version__,
        "spec_sha256": spec_digest(),
        "seed": seed,
        "operations": sorted(operations),
        "app_id_given": bool(options.app_id),  # with --app-id, RemoveAllBackends is never sent
    }


def check_plan(recorded: Mapping[str, Any], live: Mapping[str, Any], source: str) -> None:
    differ = [key for key in sorted(set(recorded) | set(live)) if recorded.get(key) != live.get(key)]
    if differ:
        said = "; ".join(f"{k}: recorded {_short(recorded.get(k))}, now {_short(live.get(k))}" for k in differ)
        raise ParityError(f"{source}: recorded with a different plan ({said}); record it again to compare")


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Recorder:
    """Collects a run's plan exchanges, normalised, keyed so that two runs pair up."""

    def __init__(self, app_id: str | None = None, disabled: Iterable[str] = ()) -> None:
        self.app_id = app_id
        self.disabled = frozenset(disabled)
        Normaliser("check", disabled=self.disabled)  # unknown rule names fail now, not in a worker
        self._lock = threading.Lock()
        self._units: dict[str, tuple[Normaliser, Counter[tuple[str, str]], list]] = {}
        self.raw: dict[tuple, Any] = {}  # key -> the Exchange as sent and received (not saved)

    def __call__(self, planned: PlanExchange) -> None:
        with self._lock:
            if planned.unit not in self._units:
                self._units[planned.unit] = (Normaliser(planned.run_id, self.app_id, self.disabled), Counter(), [])
            normaliser, seen, entries = self._units[planned.unit]
        # a unit's exchanges come one at a time, in order (Run.at_once holds back what it sends at
        # once until all are done): its own state needs no lock
        operation = planned.operation_id or planned.method
        label = planned.case or ""
        n = seen[(operation, label)] + 1
        normaliser.at(f"{label or operation}#{n}")
        request = normaliser.request(planned.method, planned.path, planned.params, planned.exchange)
        last = entries[-1] if entries else None
        if (
            last is not None
            and normaliser.on("polls")
            and (last["operationId"], last["case"], last["request"]) == (planned.operation_id, planned.case, request)
        ):
            n -= 1  # a poll: it replaces the read before it
            normaliser.at(f"{label or operation}#{n}")
            normaliser.applied["polls"] += 1
            entries.pop()
        seen[(operation, label)] = n
        entry = {
            "unit": planned.unit,
            "operationId": planned.operation_id,
            "case": planned.case,
            "n": n,
            "request": request,
            **normaliser.answer(planned.exchange),
        }
        entries.append(entry)
        with self._lock:
            self.raw[entry_key(entry)] = planned.exchange

    def entries(self) -> list[dict[str, Any]]:
        """Every exchange, unit by unit (alphabetically) in the order each unit sent them."""
        with self._lock:
            return [e for unit in sorted(self._units) for e in self._units[unit][2]]

    def applied(self) -> Counter[str]:
        """How many values each rule changed, over the whole run."""
        total: Counter[str] = Counter()
        with self._lock:
            for normaliser, _, _ in self._units.values():
                total.update(normaliser.applied)
        return total


def entry_key(entry: Mapping[str, Any]) -> tuple[str, str, str, int]:
    return (
        entry["unit"],
        entry.get("operationId") or entry["request"]["method"],
        entry.get("case") or "",
        entry["n"],
    )


def conformance_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """A side's conformance verdicts, as parity carries them: parity never replaces conformance."""
    return {
        "summary_line": summary_line(result),
        "complete": bool(result.get("complete", True)),
        "incomplete_reason": result.get("incomplete_reason"),
        "settle_bound": result.get("settle_bound"),
        "operations": {
            op.get("operationId", "?"): {"verdict": op.get("verdict", "error"), "levels": op.get("levels") or {}}
            for op in result.get("operations", ())
        },
    }


def recording(recorder: Recorder, options: RunOptions, result: Mapping[str, Any]) -> dict[str, Any]:
    """The recording of one finished run, as plain data."""
    target = result.get("target") or {}
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "recorded_at": datetime.now(UTC).isoformat(),
        "plan": plan_of(options, result.get("seed")),
        "target": {"base_url": target.get("base_url"), "kind": target.get("kind")},
        "normalisation": {"disabled": sorted(recorder.disabled), "applied": dict(sorted(recorder.applied().items()))},
        "conformance": conformance_of(result),
        "exchanges": recorder.entries(),
    }


def save_recording(data: Mapping[str, Any], path: Path | str) -> Path:
    """Write a recording: one JSON document, one exchange per line; gzip if the name ends in .gz."""
    path = Path(path)
    data = redact(data)
    head = {k: v for k, v in data.items() if k != "exchanges"}
    lines = ",\n".join(json.dumps(e, ensure_ascii=True, sort_keys=True) for e in data["exchanges"])
    text = json.dumps(head, indent=1, ensure_ascii=True)[:-2] + ',\n "exchanges": [\n' + lines + "\n ]\n}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        write_atomically(path, gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        write_atomically(path, text)
    return path


_ENTRY_KEYS = ("unit", "n", "request")


def load_recording(path: Path | str) -> dict[str, Any]:
    """Read a recording; ParityError names the file and what is wrong with it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParityError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParityError(f"{path}: not a recording (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ParityError(f'{path}: not a recording (no "format": "{FORMAT}")')
    if data.get("version") != FORMAT_VERSION:
        raise ParityError(f"{path}: recording format version {data.get('version')!r}; this tool reads {FORMAT_VERSION}")
    if not isinstance(data.get("plan"), dict) or not isinstance(data.get("exchanges"), list):
        raise ParityError(f'{path}: not a recording (needs a "plan" object and an "exchanges" list)')
    for i, entry in enumerate(data["exchanges"]):
        if not isinstance(entry, dict) or any(k not in entry for k in _ENTRY_KEYS):
            raise ParityError(f"{path}: exchange {i} lacks one of {', '.join(_ENTRY_KEYS)}")
        if not isinstance(entry["request"], dict) or "method" not in entry["request"]:
            raise ParityError(f"{path}: exchange {i} has no request method")
    disabled = (data.get("normalisation") or {}).get("disabled") or []
    unknown = set(disabled) - set(RULE_NAMES)
    if unknown:
        raise ParityError(f"{path}: recorded with unknown normalisation rule(s) {', '.join(sorted(unknown))}")
    return data


def write_recording(recorder: Recorder, options: RunOptions, result: Mapping[str, Any], path: Path | str) -> Path:
    """Save what ``recorder`` gathered during the run that gave ``result`` (``run --record``)."""
    return save_recording(recording(recorder, options, result), path)
