"""What a fuzzing campaign shows while it runs (the CLI's view of the run's ticks).

On a terminal, a rich progress bar: elapsed and remaining time, requests sent, requests per
second, distinct inputs and distinct failures, with each finished operation's line printed
above it. rich is a well-kept library that schemathesis already depends on; it redraws one
line without hand-written ANSI codes and degrades where the terminal cannot. Elsewhere (CI
logs, pipes), a plain line every PLAIN_EVERY seconds. Nothing with --quiet.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

PLAIN_EVERY = 10.0  # seconds between plain progress lines when stdout is not a terminal


def describe(stats: dict[str, Any]) -> str:
    """One line of a campaign's figures."""
    duration, remaining = stats.get("duration"), stats.get("remaining")
    when = f"{stats['elapsed']:.0f} s" + (f" of {duration:g} s ({remaining:.0f} s left)" if duration else "")
    return (
        f"fuzzing: {when}, {stats['requests']} requests ({stats['requests_per_second']:.0f}/s), "
        f"{stats['distinct_inputs']} distinct inputs, {stats['distinct_failures']} distinct failures"
        + (f", {stats['replayed']} replayed from the database" if stats.get("replayed") else "")
    )


class CampaignDisplay:
    """Shows ticks and operation lines; a context manager around the run."""

    def __init__(self, quiet: bool, stream: IO[str] | None = None, plain_every: float = PLAIN_EVERY) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.plain_every = plain_every
        self.live = not quiet and self.stream.isatty()
        self._progress = None
        self._task = None
        self._last_plain: float | None = None

    def __enter__(self) -> CampaignDisplay:
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("fuzzing"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[figures]}"),
                console=Console(file=self.stream),
            )
            self._progress.start()
            self._task = self._progress.add_task("fuzzing", total=None, figures="starting")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def line(self, text: str) -> None:
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def tick(self, stats: dict[str, Any]) -> None:
        if self.quiet:
            return
        if self._progress is not None:
            figures = (
                f"{stats['requests']} req, {stats['requests_per_second']:.0f}/s, "
                f"{stats['distinct_inputs']} inputs, {stats['distinct_failures']} failures"
            )
            total = stats.get("duration")
            self._progress.update(self._task, completed=stats["elapsed"], total=total, figures=figures)
            return
        now = time.monotonic()
        if stats.get("finished") or self._last_plain is None or now - self._last_plain >= self.plain_every:
            self._last_plain = now
            print(describe(stats), file=self.stream, flush=True)
