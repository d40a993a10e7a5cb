"""Cleanup: remove what a run created, best effort and bounded.

A run removes what it made at its end (within what is left of the time budget plus the cleanup
time) or at once after an interrupt (within the cleanup time). Side by side (a far-away target
costs a round trip per batch, not per app), or, on a target that proved unusable, one after the
other to stop at its first failure. Whatever could not be removed is named with the command that
removes it, and a second interrupt skips what is left at once.

What a run makes is also written, as it goes, to a ledger file beside the reports
(``created-RUNID.jsonl``), so `amplify-conformance cleanup` can remove what a run that died
without its report left behind; a run that left nothing behind removes its ledger.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from ._target import Exchange, Target
from ._world import operation_at

CLEANUP_TIME = 10.0  # seconds cleanup may run beyond the time budget, or after an interrupt
CLEANUP_WORKERS = 32  # removals sent at once (fewer where the target's answers say so: Concurrency)
LEDGER_GLOB = "created-*.jsonl"

Thing = tuple[str, str | None]  # an app (environment None), or an environment of an app


def remove_all(app_id: str) -> tuple[Any, dict[str, str]]:
    return operation_at("/backend/{appId}/remove"), {"appId": app_id}


def delete_environment(app_id: str, env: str) -> tuple[Any, dict[str, str]]:
    return operation_at("/backend/{appId}/environments/{backendEnvironmentName}/remove"), {
        "appId": app_id,
        "backendEnvironmentName": env,
    }


def removal_command(target: Target, thing: Thing) -> str:
    """One shell command that removes ``thing`` from ``target``: the AWS CLI's for the real service
    (signed the same way), else a curl line (add the run's --header values if it needs them)."""
    app, env = thing
    region = getattr(target, "region", None)
    if target.kind == "sigv4":
        where = f" --region {shlex.quote(region)}" if region else ""
        if env is None:
            return f"aws amplifybackend remove-all-backends --app-id {shlex.quote(app)}{where}"
        return (
            f"aws amplifybackend delete-backend --app-id {shlex.quote(app)} "
            f"--backend-environment-name {shlex.quote(env)}{where}"
        )
    op, params = remove_all(app) if env is None else delete_environment(app, env)
    return f"curl -sS -X POST {shlex.quote(target.url(op.path, params))} -H 'Content-Type: application/json' -d '{{}}'"


def left_behind_entry(target: Target, thing: Thing) -> dict[str, Any]:
    return {"app_id": thing[0], "environment": thing[1], "command": removal_command(target, thing)}


def _removed(exchange: Exchange | None) -> bool:
    return exchange is not None and not exchange.error and exchange.reply.status in (200, 404)


def remove_created(
    target: Target, things: list[Thing], deadline: float, unusable: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Remove each app (environment None) or environment in ``things`` by ``deadline`` (a
    time.monotonic() value): the cleanup's summary for report.json and its phase status. A
    KeyboardInterrupt while it works (a second Ctrl-C) cuts what is in flight and ends it at once."""
    outcomes: dict[Thing, Exchange] = {}
    lock = threading.Lock()
    out_of_time = "the cleanup's time ran out"

    def remove(thing: Thing) -> Exchange | None:
        """None when there was no time left to send it."""
        if time.monotonic() >= deadline:
            return None
        op, params = remove_all(thing[0]) if thing[1] is None else delete_environment(*thing)
        exchange = target.send(op.method, op.path, params, {}, deadline=deadline)
        with lock:
            outcomes[thing] = exchange
        return exchange

    stopped = None
    try:
        if unusable:  # one after the other, to stop at the first failure
            for thing in things:
                exchange = remove(thing)
                if exchange is None:
                    stopped = out_of_time
                    break
                if exchange.error:
                    stopped = f"the target proved unusable ({unusable})"
                    break
        elif things:
            stopped = _side_by_side(remove, things) and out_of_time
    except KeyboardInterrupt:
        target.interrupt()
        stopped = "interrupted again: cleanup skipped"
    with lock:
        done = dict(outcomes)
    return cleanup_summary(target, things, done, stopped)


def _side_by_side(remove: Any, things: list[Thing]) -> bool:
    """Send the removals CLEANUP_WORKERS at a time; whether any was not sent for lack of time."""
    pool = ThreadPoolExecutor(max_workers=CLEANUP_WORKERS, thread_name_prefix="cleanup")
    try:
        pending = {pool.submit(remove, thing) for thing in things}
        unsent = False
        while pending:  # waits in short steps, so a second Ctrl-C is seen at once
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            unsent = unsent or any(future.result() is None for future in done)
        return unsent
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def cleanup_summary(
    target: Target, things: list[Thing], outcomes: dict[Thing, Exchange], stopped: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """report.json's cleanup (with every thing left behind and the command that removes it) and
    the phase status."""
    what = "apps" if all(env is None for _, env in things) else "environments"
    if not things:
        skipped = {"attempted": 0, "failed": 0, "detail": f"skipped: no {what} to remove", "left_behind": []}
        return skipped, {"status": "skipped", "detail": f"no {what} to remove"}
    attempted = len(outcomes)
    failed = sum(not _removed(exchange) for exchange in outcomes.values())
    # the embedded emulator ends with the run: nothing it held outlives it
    left = [] if target.kind == "emulator" else [thing for thing in things if not _removed(outcomes.get(thing))]
    detail = f"{attempted - failed} of {len(things)} {what} removed or already gone"
    if stopped:
        detail += f"; {len(things) - attempted} not attempted: {stopped}"
    if left:
        detail += f"; {len(left)} left behind"
    status = "ran" if not stopped else ("skipped" if not attempted else "stopped")
    summary = {
        "attempted": attempted,
        "failed": failed,
        "detail": detail,
        "left_behind": [left_behind_entry(target, thing) for thing in left],
    }
    return summary, {"status": status, "detail": detail}


class CreatedLedger:
    """The apps (or environments) a run made or may have made, appended to a file as they are
    sent, so what a run that died left behind can still be found. Without a folder, nothing is
    written."""

    def __init__(self, folder: str | Path | None, run_id: str, target: Target, app_id: str | None) -> None:
        self.path = None if folder is None else Path(folder) / f"created-{run_id}.jsonl"
        self._header = {
            "run_id": run_id,
            "base_url": target.base_url,
            "kind": target.kind,
            "region": getattr(target, "region", None),
            "app_id": app_id,
        }
        self._written: set[Thing] = set()
        self._lock = threading.Lock()

    def add(self, things: list[Thing]) -> None:
        """Write the things not written yet (the file is made with the first)."""
        if self.path is None:
            return
        with self._lock:
            new = [thing for thing in things if thing not in self._written]
            if not new:
                return
            lines = [] if self._written else [json.dumps(self._header)]
            lines += [json.dumps({"app_id": app, "environment": env}) for app, env in new]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write("\n".join(lines) + "\n")
            self._written.update(new)

    def discard(self) -> None:
        """Nothing was left behind: the ledger has no more use."""
        if self.path is not None:
            with self._lock:
                self.path.unlink(missing_ok=True)


class LeftBehind:
    """What a finished or dead run left on its target: from a report.json's cleanup section, or
    from a ledger file (everything the run may have made: removing what is already gone is a 404)."""

    def __init__(self, base_url: str, kind: str, region: str | None, things: list[Thing], sources: list[Path]):
        self.base_url, self.kind, self.region, self.things, self.sources = base_url, kind, region, things, sources

    @classmethod
    def read(cls, path: Path) -> LeftBehind:
        """From a report.json, a ledger file or a reports folder (its report.json and every ledger in it).
        Raises ValueError naming the file and what is wrong with it."""
        path = Path(path)
        if path.is_dir():
            files = sorted(path.glob(LEDGER_GLOB))
            if (path / "report.json").is_file():
                files.insert(0, path / "report.json")
            if not files:
                raise ValueError(f"{path}: neither a report.json nor a ledger of created apps ({LEDGER_GLOB}) in it")
        elif path.is_file():
            files = [path]
        else:
            raise ValueError(f"{path}: no such file or folder")
        parts = [_read_report(f) if f.suffix == ".json" else _read_ledger(f) for f in files]
        base_urls = {part.base_url for part in parts}
        if len(base_urls) > 1:
            raise ValueError(f"{path}: its files name different targets ({', '.join(sorted(base_urls))})")
        things = list(dict.fromkeys(thing for part in parts for thing in part.things))
        first = parts[0]
        return cls(first.base_url, first.kind, first.region, things, files)


def _read_report(path: Path) -> LeftBehind:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        target = report["target"]
        left = (report.get("cleanup") or {}).get("left_behind") or []
        things = [(entry["app_id"], entry.get("environment")) for entry in left]
        return LeftBehind(target["base_url"], target.get("kind", "url"), target.get("region"), things, [path])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable report.json ({_why(exc)})") from exc


def _read_ledger(path: Path) -> LeftBehind:
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        header, entries = lines[0], lines[1:]
        things = [(entry["app_id"], entry.get("environment")) for entry in entries]
        return LeftBehind(header["base_url"], header.get("kind", "url"), header.get("region"), things, [path])
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"{path}: not a readable ledger of created apps ({_why(exc)})") from exc


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no {exc} in it"
    if isinstance(exc, IndexError):
        return "it is empty"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def clean_up(left: LeftBehind, target: Target, seconds: float = CLEANUP_TIME) -> dict[str, Any]:
    """Remove what ``left`` names from ``target`` within ``seconds``; report.json's cleanup shape.
    Ledgers whose every thing is gone are deleted (a report.json stays as it was written)."""
    summary, _ = remove_created(target, left.things, time.monotonic() + seconds)
    still = {(entry["app_id"], entry["environment"]) for entry in summary["left_behind"]}
    for source in left.sources:
        if source.suffix == ".jsonl" and not any(thing in still for thing in _read_ledger(source).things):
            source.unlink(missing_ok=True)
    return summary
