"""How fast a run sends and how long a throttled request waits (R9): a RateLimit shared by every
worker keeps a run below what the user says the target allows and follows what the target's 429s
let through; a throttled request is sent again after exponential backoff with full jitter, or
after the Retry-After the answer names, for up to PATIENCE seconds of waiting, as the AWS SDKs'
standard mode does."""

from __future__ import annotations

import collections
import email.utils
import math
import random
import threading
import time

PATIENCE = 20.0  # seconds one request may spend waiting out throttling (the AWS SDKs' standard mode)
FIRST_BACKOFF = 0.1  # the first backoff's ceiling; doubled each retry, at most MAX_BACKOFF
MAX_BACKOFF = 5.0
PACE_CUT = 0.7  # a 429 lowers the pace to this share of the requests sent in the second before
PACE_DOUBLING = 4.0  # seconds in which the pace doubles after a cut
LOWER_EVERY = 0.5  # seconds between two cuts of the pace
THROTTLED_SHARE = 0.1  # the pace is cut only when this share of the last second's requests got 429
MIN_PACE = 0.5  # requests a second the pace never goes below
UNPACED = 10_000.0  # a pace above this is no pace at all


class RateLimit:
    """The pace of a run's requests, over every worker: at most ``per_second`` a second if given,
    and, once the target has answered 429, no faster than it lets through. A 429 while a tenth or
    more of the second's requests got one lowers the pace to a share of what was sent in it; the pace then doubles every
    PACE_DOUBLING seconds until the target throttles again (as the AWS SDKs' adaptive mode
    probes). Requests take the next free slot in turn, so one that waited out a 429 is not
    overtaken by fresh ones."""

    def __init__(self, per_second: float | None = None) -> None:
        if per_second is not None and per_second <= 0:
            raise ValueError(f"a rate limit must be positive, not {per_second}")
        self.per_second = per_second
        self.slowest: float | None = None  # the lowest pace a 429 set
        self.waited = 0.0  # seconds requests spent waiting for their slot, in all
        self._lock = threading.Lock()
        self._next = time.monotonic()
        self._sent: collections.deque[float] = collections.deque(maxlen=1000)
        self._throttled: collections.deque[float] = collections.deque(maxlen=1000)
        self._cut: float | None = None  # the pace the last 429 set; None: not paced
        self._cut_at = -math.inf

    def pace(self, now: float) -> float | None:
        """Requests a second the target's 429s allow now; None: as many as asked."""
        if self._cut is None:
            return None
        pace = self._cut * 2 ** ((now - self._cut_at) / PACE_DOUBLING)
        return pace if pace < UNPACED else None

    def acquire(self, deadline: float = math.inf, cancel: threading.Event | None = None) -> bool:
        """Wait for this request's slot; False (and no slot taken) when it would come after ``deadline``,
        or when ``cancel`` is set while waiting (the run was interrupted)."""
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            if slot >= deadline:
                time.sleep(max(0.0, deadline - now))  # the budget's end: the caller sees it ran out
                return False
            rates = [rate for rate in (self.per_second, self.pace(slot)) if rate]
            self._next = slot + (1.0 / min(rates) if rates else 0.0)
            self.waited += slot - now
            self._sent.append(slot)
        if slot > now:
            if cancel is not None:
                return not cancel.wait(slot - now)
            time.sleep(slot - now)
        return True

    def throttled(self) -> None:
        """A 429: lower the pace (at most once every LOWER_EVERY seconds: the 429s of requests sent
        before the last cut say nothing new)."""
        with self._lock:
            now = time.monotonic()
            self._throttled.append(now)
            sent = sum(1 for t in self._sent if now - 1.0 <= t <= now)
            refused = sum(1 for t in self._throttled if now - 1.0 <= t)
            if now - self._cut_at < LOWER_EVERY or refused < THROTTLED_SHARE * sent:
                return  # a 429 now and then (not a limit reached) does not slow the run
            self._cut = max(MIN_PACE, PACE_CUT * min(max(sent, 1), self.pace(now) or math.inf))
            self._cut_at = now
            self.slowest = min(self.slowest or math.inf, self._cut)


def backoff(retry_after_header: str | None, attempt: int, jitter: random.Random) -> float:
    """Seconds to wait before sending again: what Retry-After names (seconds or an HTTP date), else
    exponential backoff with full jitter, so throttled workers do not come back all at once."""
    named = retry_after(retry_after_header)
    if named is not None:
        return named
    return jitter.uniform(0, min(FIRST_BACKOFF * 2**attempt, MAX_BACKOFF))


def retry_after(value: str | None) -> float | None:
    """Retry-After's seconds from now, given as seconds or as an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


START_CONCURRENCY = 8  # requests at once a run against a URL starts with
MAX_CONCURRENCY = 128  # the most it rises to (the connections a target keeps open for a run)
RISE = 3.0  # an answer this many times slower than the fastest to its route: a queue is building up...
QUEUED = 0.05  # ... if it also took this many seconds longer (not the jitter of a target that answers at once)
SETTLED_OVER = 200  # the answers whose limits say where the concurrency settled
CANCEL_POLL = 0.25  # seconds between two looks at whether a request waiting for a place was cancelled


_sender = threading.local()


def alongside(batch: bool = True) -> None:
    """Mark this thread's requests as sent side by side with others (a batch that costs one round
    trip together), or (``batch`` False) as a chain's again: where places in flight are scarce,
    requests of a chain sent one after another go first, as each one of those lengthens the run
    by its wait."""
    _sender.alongside = batch


class OwnStalls:
    """Spells in which this process could not run: a garbage collection, a call holding the GIL,
    the machine busy with other processes. An answer that came in such a spell was read late, and
    its lateness says nothing of the target. A thread looks every TICK seconds and notes each look
    that came later than LATE, while requests are out (it ends IDLE seconds after the last)."""

    TICK = 0.01
    LATE = 0.005
    IDLE = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spells: collections.deque[tuple[float, float]] = collections.deque(maxlen=4096)  # (start, end)
        self._last_use = -math.inf
        self._thread: threading.Thread | None = None

    def watch(self) -> None:
        """A request goes out: look until IDLE seconds after the last one."""
        with self._lock:
            self._last_use = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._look, name="conformance-stalls", daemon=True)
                self._thread.start()

    def _look(self) -> None:
        while True:
            due = time.monotonic() + self.TICK
            time.sleep(self.TICK)
            now = time.monotonic()
            with self._lock:
                if now - due > self.LATE:
                    self._spells.append((due, now))
                if now - self._last_use > self.IDLE:
                    self._thread = None
                    return

    def within(self, start: float, end: float) -> float:
        """Seconds this process was stalled between ``start`` and ``end`` (time.monotonic())."""
        stalled = 0.0
        with self._lock:
            for since, until in reversed(self._spells):
                if until <= start:
                    break
                stalled += max(0.0, min(until, end) - max(since, start))
        return stalled


OWN_STALLS = OwnStalls()  # one process, one record of its stalls


class Concurrency:
    """How many requests are in flight at once, over every worker: fixed (``pinned``), unlimited
    (``adaptive`` False), or adapting to the target (additive increase, multiplicative decrease, as
    the AWS SDKs' adaptive retry mode and TCP do). Adaptive, it starts at START_CONCURRENCY and, while
    answers stay fast and the run uses half of it or more, doubles a round (one an answer: TCP's slow
    start, so a far-away target is not sent a trickle for the run's first seconds) until its first
    cut, then rises by up to one a round (1/limit an answer); it halves on a timeout, a 429, or
    an answer RISE times slower than the fastest seen on its route (a queue building up at the
    target; the time this process itself stalled meanwhile, ``stalls``, not counted), at most once
    a round: answers to requests sent before the last cut say nothing new. A slow
    single-threaded target thus gets requests no faster than it answers them, and each exchange's
    timeout counts from when it is sent, not from when it was queued. A request sent one after
    another's (not ``alongside``) takes a free place before any request of a batch does."""

    def __init__(
        self, timeout: float = 10.0, pinned: int | None = None, adaptive: bool = True, stalls: OwnStalls = OWN_STALLS
    ) -> None:
        self.pinned = pinned
        self.adaptive = adaptive and pinned is None
        self.stalls = stalls
        self.excused = 0  # slow answers not taken for a queue: this process had stalled meanwhile
        self.timeout = timeout
        self.limit: float | None = float(pinned) if pinned else (START_CONCURRENCY if adaptive else None)
        self.lowest = self.highest = self.limit
        self.lowered: collections.Counter[str] = collections.Counter()
        self._in_flight = 0
        # requests waiting for a place, oldest first: those of chains (True) before those of batches
        self._waiting: dict[bool, collections.deque[threading.Event]] = {
            True: collections.deque(),
            False: collections.deque(),
        }
        self._cut_at = -math.inf
        self._fastest: dict[str, float] = {}
        self._settled: collections.deque[float] = collections.deque(maxlen=SETTLED_OVER)
        self._lock = threading.Lock()

    def acquire(self, deadline: float = math.inf, cancel: threading.Event | None = None) -> float | None:
        """Wait for a place among the requests in flight; when it was taken (for release), or None
        when ``deadline`` passed or ``cancel`` was set first. A freed place is handed to one waiting
        request (no herd of threads woken to race for it)."""
        in_chain = not getattr(_sender, "alongside", False)
        if self.adaptive:
            self.stalls.watch()
        with self._lock:
            ahead = self._waiting[True] or (not in_chain and self._waiting[False])
            if self.limit is None or (self._in_flight < int(self.limit) and not ahead):
                self._in_flight += 1
                return time.monotonic()
            handed = threading.Event()
            self._waiting[in_chain].append(handed)
        while not handed.wait(min(max(deadline - time.monotonic(), 0.0), CANCEL_POLL)):
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                with self._lock:
                    if handed.is_set():  # handed on just now: give it back
                        self._in_flight -= 1
                        self._hand_on()
                    else:
                        self._waiting[in_chain].remove(handed)
                return None
        return time.monotonic()

    def release(self, taken: float, route: str, outcome: str, elapsed: float = 0.0) -> None:
        """A request taken at ``taken`` is done: ``outcome`` is "answered", "throttled" (429),
        "timeout" or "failed" (another transport failure, which says nothing of load)."""
        with self._lock:
            used = self.limit is not None and self._in_flight >= self.limit / 2
            self._in_flight -= 1
            if self.adaptive:
                self._adapt(taken, route, outcome, elapsed, used)
            self._hand_on()

    def _hand_on(self) -> None:
        """Free places to the first waiting requests, chains first (under the lock)."""
        while self.limit is None or self._in_flight < int(self.limit):
            queue = self._waiting[True] or self._waiting[False]
            if not queue:
                return
            queue.popleft().set()
            self._in_flight += 1

    def _adapt(self, taken: float, route: str, outcome: str, elapsed: float, used: bool) -> None:
        """``used``: at least half the limit was in flight when this answer came; only then does a
        fast answer show the target could take more (a run sending fewer proves nothing: TCP's
        congestion window validation, RFC 7661, asks the same)."""
        assert self.limit is not None
        why = {"timeout": "timeouts", "throttled": "throttled"}.get(outcome)
        if outcome == "answered":
            fastest = self._fastest.setdefault(route, elapsed)
            self._fastest[route] = min(fastest, elapsed)

            def queued(seconds: float) -> bool:
                return seconds >= RISE * fastest and seconds - fastest >= QUEUED

            if queued(elapsed):  # the stalls are only looked up for an answer that seems slow
                if queued(elapsed - self.stalls.within(taken, time.monotonic())):
                    why = "slow_answers"
                else:
                    self.excused += 1
        if why is not None:
            if taken >= self._cut_at:  # sent after the last cut: news
                self.limit = max(1.0, self.limit / 2)
                self._cut_at = time.monotonic()
                self.lowered[why] += 1
        elif outcome == "answered" and used:
            rise = 1.0 if self._cut_at == -math.inf else 1 / self.limit  # slow start until the first cut
            self.limit = min(float(MAX_CONCURRENCY), self.limit + rise)
        self.lowest = min(self.lowest, self.limit)
        self.highest = max(self.highest, self.limit)
        self._settled.append(self.limit)

    def section(self) -> dict[str, object]:
        """report.json's ``concurrency``: how many requests went at once, and why."""
        with self._lock:
            settled = sorted(self._settled)[len(self._settled) // 2] if self._settled else self.limit
            lowered, excused = dict(self.lowered), self.excused
        if self.pinned:
            mode, detail = "pinned", f"{self.pinned} requests at once, as --workers asks"
        elif not self.adaptive:
            mode, detail = "unlimited", "not limited: the embedded emulator answers at once"
        else:
            mode = "adaptive"
            detail = f"started at {START_CONCURRENCY} requests at once, settled at {int(settled)}"
            reasons = {
                "timeouts": "timeouts",
                "throttled": "429 answers",
                "slow_answers": f"answers {RISE:g} times slower than the fastest to their route",
            }
            cuts = ", ".join(f"{n} for {reasons[why]}" for why, n in sorted(lowered.items()))
            detail += f" (between {int(self.lowest)} and {int(self.highest)}); " + (
                f"lowered {sum(lowered.values())} times: {cuts}" if lowered else "never lowered"
            )
            if excused:
                detail += f"; {excused} slow answers not taken for a queue: this process had stalled meanwhile"
        return {
            "mode": mode,
            "settled": None if settled is None else int(settled),
            "lowest": None if self.lowest is None else int(self.lowest),
            "highest": None if self.highest is None else int(self.highest),
            "lowered": lowered,
            "detail": detail,
        }
