"""Signals while a command works: SIGTERM (what CI runners send at a job's timeout) stops a run
the way Ctrl-C does; the first interrupt lets the run clean up what it made, a second skips the
cleanup, later ones are ignored until the reports (and the list of what was left behind) are
written; nothing stops the writing of reports once a run is over."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any

INTERRUPTS = (signal.SIGINT, signal.SIGTERM)
HEEDED = 2  # interrupts that stop something: the first the sending, the second the cleanup


@contextlib.contextmanager
def _handled(signals: tuple[signal.Signals, ...], handler: Any) -> Iterator[None]:
    """The signals go to ``handler`` while the block runs, then back to what they did before;
    off the main thread (where handlers cannot be set) they are left alone."""
    try:
        previous = {sig: signal.signal(sig, handler) for sig in signals}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM takes the Ctrl-C path (parity, the emulator's foreground serving)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    with _handled((signal.SIGTERM,), interrupt):
        yield


@contextlib.contextmanager
def interrupts_counted(prog: str, cleanup_time: float) -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt naming the signal, so the runner stops and
    returns its partial result either way; each says on stderr what happens next."""
    received = 0

    def interrupt(signum: int, frame: Any) -> None:
        nonlocal received
        received += 1
        name = signal.Signals(signum).name
        if received == 1:
            _say(
                f"{prog}: {name}: stopping; removing what the run made (up to {cleanup_time:g} s; "
                "interrupt again to skip that)"
            )
        elif received == HEEDED:
            _say(f"{prog}: {name} again: cleanup skipped; writing the reports and what was left behind")
        else:
            _say(f"{prog}: {name}: still writing the reports")
            return
        raise KeyboardInterrupt(name)

    with _handled(INTERRUPTS, interrupt):
        yield


def _say(line: str) -> None:
    """A line on stderr from a signal handler (os.write: the handler may interrupt a print)."""
    os.write(2, (line + "\n").encode())


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM for a moment (the reports of a finished run are being written)."""
    with _handled(INTERRUPTS, signal.SIG_IGN):
        yield
