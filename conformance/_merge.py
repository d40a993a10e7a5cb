"""One report from partial results: the pytest entry's items (operation x shard, on any xdist
worker or machine) and ``amplify-conformance report merge a.json b.json ...``.

A pure function over report.json dicts. Parts of one operation (its shards) add up check by
check: cases and failures sum, a check fails if it failed anywhere, the verdicts are graded
again by ``_results.grade`` and the summary is made by ``_results.run_summary``, as a run
makes them; the deviations sections merge with ``_deviations.merge_sections``; the campaign's
failure groups merge on their key, counts summed, the smallest shrunk example kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ._campaign import example_size, failure_key
from ._results import grade, kept_failures, reason_counts, run_summary

_CHECK_ORDER = ("fail", "error", "accepted", "pass", "skipped")
_PHASE_ORDER = ("error", "stopped", "ran", "skipped")


def merge_results(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One report.json from several, equal in structure to a run's."""
    parts = list(parts)
    if not parts:
        raise ValueError("nothing to merge: no partial results")
    first = parts[0]
    levels = list(first.get("levels") or ())
    operations = _merge_operations(parts, levels)
    merged: dict[str, Any] = {
        "tool": first["tool"],
        "target": first["target"],
        "levels": levels,
        "seed": first.get("seed"),
        "seed_source": first.get("seed_source"),
        "started_at": min(p["started_at"] for p in parts),
        "finished_at": max(p["finished_at"] for p in parts),
        "complete": all(p.get("complete", True) for p in parts),
        "incomplete_reason": "; ".join(
            dict.fromkeys(p["incomplete_reason"] for p in parts if p.get("incomplete_reason"))
        )
        or None,
        "summary": run_summary(
            operations,
            levels,
            sum(p["summary"].get("requests", 0) for p in parts),
            sum(p["summary"].get("retries", 0) for p in parts),
        ),
        "cleanup": _merge_cleanup(p.get("cleanup") for p in parts),
        "phases": _merge_phases(p.get("phases") or {} for p in parts),
        "longest_chain": max(
            (p["longest_chain"] for p in parts if p.get("longest_chain")), key=lambda c: c["seconds"], default=None
        ),
        "operations": operations,
        "merged_from": [
            {
                "seed": p.get("seed"),
                "seed_source": p.get("seed_source"),
                "operations": [o["operationId"] for o in p["operations"]],
                "started_at": p["started_at"],
            }
            for p in parts
        ],
    }
    if any("settings_file" in p for p in parts):
        merged["settings_file"] = next((p["settings_file"] for p in parts if p.get("settings_file")), None)
    sections = [p["deviations"] for p in parts if p.get("deviations")]
    if sections:
        from ._deviations import merge_sections

        merged["deviations"] = merge_sections(sections)
    fuzz = [p["fuzz"] for p in parts if p.get("fuzz")]
    if fuzz:
        merged["fuzz"] = _merge_fuzz(fuzz, _seconds(merged["started_at"], merged["finished_at"]))
    return merged


def _merge_operations(parts: Sequence[Mapping[str, Any]], levels: list[str]) -> list[dict[str, Any]]:
    import amplify_openapi as spec

    by_id: dict[str, list[Mapping[str, Any]]] = {}
    for part in parts:
        for operation in part["operations"]:
            by_id.setdefault(operation["operationId"], []).append(operation)
    order = {op.operation_id: n for n, op in enumerate(spec.operations())}
    return [_merge_operation(by_id[i], levels) for i in sorted(by_id, key=lambda i: (order.get(i, len(order)), i))]


def _merge_operation(shards: list[Mapping[str, Any]], levels: list[str]) -> dict[str, Any]:
    first = shards[0]
    names = list(dict.fromkeys(c["name"] for shard in shards for c in shard["checks"]))
    checks = [_merge_check([c for shard in shards for c in shard["checks"] if c["name"] == n]) for n in names]
    errors = list(dict.fromkeys(e for shard in shards for e in shard.get("errors", ())))
    verdict, per_level = grade(checks, errors, levels)
    return {
        **first,
        "verdict": verdict,
        "levels": per_level,
        "checks": checks,
        "coverage": _merge_coverage([s["coverage"] for s in shards]),
        "requests": sum(s.get("requests", 0) for s in shards),
        "retries": sum(s.get("retries", 0) for s in shards),
        "errors": errors,
    }


def _merge_check(same: list[Mapping[str, Any]]) -> dict[str, Any]:
    verdicts = {c["verdict"] for c in same}
    verdict = next((v for v in _CHECK_ORDER if v in verdicts), "skipped")
    cases, failed = sum(c.get("cases", 0) for c in same), sum(c.get("failed", 0) for c in same)
    chosen = next(c for c in same if c["verdict"] == verdict)
    detail = chosen["detail"]
    if verdict == "fail":
        detail = f"{cases} judged, {failed} failed"
    elif verdict == "pass":
        detail = f"{cases} judged; " + detail.split("; ", 1)[-1]
    merged = {
        **chosen,
        "verdict": verdict,
        "detail": detail,
        "cases": cases,
        "failed": failed,
        "failures": kept_failures(f for c in same for f in c.get("failures", ())),
        "reasons": reason_counts(
            sum((Counter({r["reason"]: r["count"]}) for c in same for r in c.get("reasons", ())), Counter())
        ),
        "planned": any(c.get("planned", True) for c in same),
    }
    accepted = [a for c in same for a in c.get("accepted_by", ())]
    if accepted:
        merged["accepted_by"] = list({a.get("line", n): a for n, a in enumerate(accepted)}.values())
    return merged


def _merge_coverage(coverages: list[Mapping[str, Any]]) -> dict[str, Any]:
    first = coverages[0]

    def union(key: str) -> set[str]:
        return {code for c in coverages for code in c["status_codes"].get(key, ())}

    documented = list(first["status_codes"]["documented"])
    observed, provoked = union("observed"), union("provoked")
    return {
        # every shard runs the whole deterministic matrix: the most any shard exercised
        key: {
            "exercised": max(c[key]["exercised"] for c in coverages),
            "documented": first[key]["documented"],
        }
        for key in ("enum_values", "required_members")
    } | {
        "status_codes": {
            "documented": documented,
            "observed": sorted(observed),
            "provoked": sorted(provoked),
            "injected": sorted(union("injected") - provoked),
            "undocumented_seen": sorted(union("undocumented_seen")),
            "exercised": len([c for c in documented if c in observed]),
        }
    }


def _merge_cleanup(cleanups: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    cleanups = [c for c in cleanups if c]
    attempted, failed = sum(c.get("attempted", 0) for c in cleanups), sum(c.get("failed", 0) for c in cleanups)
    return {
        "attempted": attempted,
        "failed": failed,
        "detail": f"{len(cleanups)} parts: {attempted - failed} of {attempted} removals done or already gone",
    }


def _merge_phases(phase_maps: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for phases in phase_maps:
        for name, phase in phases.items():
            by_name.setdefault(name, []).append(phase)
    merged = {}
    for name, seen in by_name.items():
        statuses = {p["status"] for p in seen}
        status = next((s for s in _PHASE_ORDER if s in statuses), seen[0]["status"])
        details = list(dict.fromkeys(p["detail"] for p in seen if p["status"] == status))
        detail = f"{status} in {sum(p['status'] == status for p in seen)} of {len(seen)} parts: " + " | ".join(
            details[:3]
        )
        detail += " | ..." if len(details) > 3 else ""
        merged[name] = {"status": status, "detail": detail, **_merge_times(seen)}
    return merged


def _merge_times(phases: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The parts ran side by side: a phase lasted as long as its longest part, and sent all
    their requests."""
    timed = [p for p in phases if "seconds" in p]
    if not timed:
        return {}
    times: dict[str, Any] = {
        "seconds": max(p["seconds"] for p in timed),
        "requests": sum(p.get("requests", 0) for p in timed),
    }
    stages: dict[str, dict[str, Any]] = {}
    for phase in timed:
        for name, stage in (phase.get("stages") or {}).items():
            into = stages.setdefault(name, {"requests": 0, "seconds": 0.0})
            into["requests"] += stage["requests"]
            into["seconds"] = round(into["seconds"] + stage["seconds"], 2)
    return {**times, "stages": stages} if stages else times


def _merge_fuzz(sections: list[Mapping[str, Any]], wall_seconds: float) -> dict[str, Any]:
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for section in sections:
        for group in section.get("groups", ()):
            key = failure_key(group)
            known = groups.get(key)
            if known is None:
                groups[key] = dict(group)
                continue
            known["count"] += group["count"]
            if _better(group, known):
                known["example"], known["shrunk"] = group["example"], group.get("shrunk", False)
    requests = sum(s.get("requests", 0) for s in sections)
    return {
        "elapsed": round(wall_seconds, 1),
        "duration": max((s.get("duration") or 0 for s in sections), default=0) or None,
        "requests": requests,
        "requests_per_second": round(requests / wall_seconds, 1) if wall_seconds > 0 else 0.0,
        "distinct_inputs": sum(s.get("distinct_inputs", 0) for s in sections),  # parts never share an input set
        "distinct_failures": len(groups),
        "rounds": sum(s.get("rounds", 0) for s in sections),
        "replayed": sum(s.get("replayed", 0) for s in sections),
        "seed": sections[0].get("seed"),
        "database": {
            "path": next((s["database"]["path"] for s in sections if (s.get("database") or {}).get("path")), None),
            "replayed": sum((s.get("database") or {}).get("replayed", 0) for s in sections),
        },
        "groups": sorted(groups.values(), key=lambda g: (g["operation"], g["check"], -g["count"])),
    }


def _better(candidate: Mapping[str, Any], known: Mapping[str, Any]) -> bool:
    """A shrunk example beats one as sent; between equals, the smaller request."""
    if bool(candidate.get("shrunk")) != bool(known.get("shrunk")):
        return bool(candidate.get("shrunk"))
    return example_size(candidate.get("example")) < example_size(known.get("example"))


def _seconds(started: str, finished: str) -> float:
    try:
        return max(0.0, (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds())
    except ValueError:
        return 0.0
