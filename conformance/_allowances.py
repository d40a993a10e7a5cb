"""What the contract leaves open, in one place: every phase (matrix, workflows, stateful, model,
positive and negative fuzzing, edge values, parity) asks here instead of carrying a reading of
its own, so a new open choice is one edit here and one quirk in the emulator.

Each function answers one question an implementation that chose differently from the embedded
emulator could otherwise be failed for (CONTRACT 'Where the reference admits several readings'
and 'What the contract leaves open'); docs/CONTRACT.md's table "Allowances by phase" names
the quirk that proves each is honoured.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from functools import cache
from typing import Any

import amplify_openapi as spec
import amplify_strategies as strategies

# ---- spellings -------------------------------------------------------------------------------


def spread_spellings(body: Any) -> Any:
    """The body with every member the reference spells several ways present under every spelling
    (a copy of the value under each missing one): a value then means the same to a target that
    follows any one spelling and ignores the others, wrong values included."""
    if isinstance(body, list):
        return [spread_spellings(item) for item in body]
    if not isinstance(body, dict):
        return body
    spread = {key: spread_spellings(value) for key, value in body.items()}
    for key in list(spread):
        for other in spec.spellings(key):
            spread.setdefault(other, copy.deepcopy(spread[key]))
    return spread


def spellings_present(answer: dict[str, Any], member: str) -> list[str]:
    """The spellings of ``member`` an answer carries (an echo is read under any of them)."""
    return [name for name in spec.spellings(member) if name in answer]


def _readings() -> list[dict[tuple[str, ...], str]]:
    """Every way of following one spelling per member: a spelling group -> the spelling followed."""
    groups = spec.spelling_groups()
    return [dict(zip(groups, choice, strict=True)) for choice in itertools.product(*groups)]


def _as_read(body: Any, reading: dict[tuple[str, ...], str]) -> Any:
    """The body as a target following ``reading`` sees it, under the spec's wire names: the
    followed spelling's value under the spec's name, the other spellings dropped as unknown."""
    if isinstance(body, list):
        return [_as_read(item, reading) for item in body]
    if not isinstance(body, dict):
        return body
    seen = {key: _as_read(value, reading) for key, value in body.items()}
    for group, followed in reading.items():
        if not any(name in seen for name in group):
            continue
        value = seen.get(followed, _ABSENT)
        for name in group:
            seen.pop(name, None)
        if value is not _ABSENT:
            seen[group[0]] = value
    return seen


_ABSENT = object()


def invalid_under_every_reading(operation: spec.Operation, body: Any) -> bool:
    """Whether a request body breaks a rule under every reading the contract allows, so that a
    target must reject it: a 'negative' case that some conformant target may take as valid (its
    only wrong value under a spelling that target ignores, say) is not one (CONTRACT
    'Spellings': a wrong value meant to be rejected goes under every spelling at once)."""
    if operation.request_schema is None:
        return False  # no body is documented: whatever is sent is ignored or the 200-or-400 of unusual input
    name = operation.request_schema
    return not any(spec.is_valid(name, _as_read(body, reading)) for reading in _readings())


# ---- optional members --------------------------------------------------------------------------


def listed(answer: dict[str, Any], member: str) -> list | None:
    """An answer's array member, an absent one counting as empty (which optional members appear in
    an answer is open, empty arrays included); None when it is there but not an array."""
    value = answer.get(member, [])
    return value if isinstance(value, list) else None


# ---- resource names ----------------------------------------------------------------------------


@cache
def resource_name() -> str:
    """The one resourceName every call on an API, Auth or Storage resource carries (CONTRACT
    'Resource names': whether an environment holds one resource per category or one per name is
    open, so a check names a resource the same way in every call on it)."""
    return strategies.valid_body("CreateBackendAPI")["resourceName"]


def named(body: Any) -> Any:
    """The body with its resourceName (where it has a string one) set to ``resource_name()``."""
    if isinstance(body, dict) and isinstance(body.get("resourceName"), str):
        return {**body, "resourceName": resource_name()}
    return body


# ---- identifiers: jobs (and sessions) are known by their place, not by their id alone --------


def says_another_app(entry: dict[str, Any], app_id: str | None) -> bool:
    """Whether a job (or session) says of itself that it belongs to another app (an answer may
    leave appId out: then it says nothing; None: the app's name is not known here). What it says
    of its environment is not asked: which listing holds an app-level job is open."""
    said = entry.get("appId")
    return app_id is not None and isinstance(said, str) and said != app_id


def strays(entries: Iterable[dict[str, Any]], app_id: str | None, others: Iterable[Any], own: Iterable[Any]) -> list:
    """The jobIds of a listing that belong elsewhere: those whose job says it is another app's, and
    those handed out elsewhere (``others``) that this place never handed out itself (``own``).
    jobIds may be unique per app only (two apps, or two lives of one app, may each have a
    job-00001), so an id this place handed out too names its own job."""
    mine = set(own)
    elsewhere = set(others) - mine
    return [
        entry.get("jobId") for entry in entries if says_another_app(entry, app_id) or (entry.get("jobId") in elsewhere)
    ]


# ---- asynchrony: writes lag like reads ---------------------------------------------------------


def may_lag(seconds_since_change: float | None, settle_bound: float) -> bool:
    """Whether an answer that disagrees about whether something still exists may be the target
    showing a change late (CONTRACT 'Asynchrony': reads and writes alike, within the settle
    bound): not yet a violation, and the state it acted on is then the target's to have chosen."""
    return seconds_since_change is not None and settle_bound > 0 and seconds_since_change <= settle_bound


# ---- unusual but well-typed values --------------------------------------------------------------

#: What an unusual but well-typed value may get (very long strings, reserved characters in names,
#: empty arrays): accepted or refused, never a 5xx; and 404 where it names nothing that exists.
UNUSUAL_VALUE_STATUSES = frozenset({200, 400, 404})
