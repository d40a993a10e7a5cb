"""The emulator's in-memory backend state (R7, R8): apps, environments, resources,
challenge tokens, jobs and config, guarded by one lock."""

from __future__ import annotations

import bisect
import copy
import itertools
import pickle
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# the time the asynchronous quirks (async-jobs, eventual) count in; a test can stand a clock of its
# own in, so that what shows "not yet" does not hang on how busy the machine is
clock: Callable[[], float] = time.monotonic


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def id_prefix(random_hex: str) -> str:
    """A process's id prefix: 16 hex digits starting with a letter, so every id has another letter
    case. A random prefix of digits only (about one process in a thousand) made ids of digits only
    now and then: no letter-case near miss can name those, so two runs sent different requests."""
    return "e" + random_hex[1:16]


_ID_PREFIX = id_prefix(uuid.uuid4().hex)
_ID_COUNTER = itertools.count(1)


def new_id() -> str:
    """A unique 32-hex-digit id: a random per-process prefix and a counter (cheaper than uuid4)."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def new_request_id() -> str:
    """A unique request id in the UUID layout AWS uses for x-amzn-RequestId."""
    h = new_id()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class Resource:
    """An API, Auth or Storage resource of one environment."""

    name: str | None
    config: dict[str, Any] | None
    models_generated: bool = False
    gone_at: float | None = None  # the r8_late_delete fault: deleted, but visible until then
    first_update: dict[str, Any] | None = None  # the r8_update_keeps_first fault: the config its first update made


@dataclass
class Job:
    job_id: str
    operation: str
    status: str
    create_time: str
    update_time: str
    error: str | None = None
    settles_at: float = 0.0  # the async-jobs quirk: IN_PROGRESS until then, unless a status was set
    pending_status: str = "IN_PROGRESS"
    unlisted: bool = False  # ListBackendJobs leaves it out (r8_remove_spills_listing, r8_updated_job_unlisted)
    filed_status: str | None = None  # the r8_filter_stale_status fault: the status its first update filed it under

    def current_status(self) -> str:
        return self.pending_status if clock() < self.settles_at else self.status


@dataclass
class Token:
    session_id: str
    challenge_code: str
    ttl: str


@dataclass
class App:
    name: str
    environments: dict[str, dict[str, Resource]] = field(default_factory=dict)  # env -> category -> resource
    tokens: dict[str, Token] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    relisted: list[str] = field(default_factory=list)  # the r8_env_twice fault: listed once more each
    # environments the list leaves out whose resources still answer (r8_clone_unlisted, r8_delete_keeps)
    unlisted: dict[str, dict[str, Resource]] = field(default_factory=dict)
    storage_twins: dict[str, set[str]] = field(default_factory=dict)  # env -> envs whose storage it deletes too
    deleted_auth: dict[str, Resource] = field(default_factory=dict)  # env -> its auth deleted last: r8_recreate_stale
    hidden_apis: dict[str, Resource] = field(default_factory=dict)  # env -> its API when deleted: r8_env_resurrects
    jobs_numbered: int = 0  # the jobs-per-app quirk: how many jobIds this app has handed out


class Store:
    """All state of one emulator; hold ``lock`` while reading or changing it."""

    JOB_STATUS = "COMPLETED"

    def __init__(
        self,
        long_ids: bool = False,
        async_jobs: bool = False,
        seed: int = 0,
        *,
        job_words: bool = False,
        opaque_ids: bool = False,
        jobs_per_app: bool = False,
    ) -> None:
        self.long_ids = long_ids  # the long-ids quirk: identifiers of 200+ characters
        self.async_jobs = async_jobs  # the async-jobs quirk: jobs complete 1-2 s after they start
        self.job_words = job_words  # the job-words quirk: create-backend-auth, PENDING, SUCCEEDED
        self.opaque_ids = opaque_ids  # the opaque-tokens quirk: ids with '+', '/', '=', ':' and '@'
        self.jobs_per_app = jobs_per_app  # the jobs-per-app quirk: each app numbers its own jobs
        # the late-deletes quirk: a copy of the past a write runs on records its jobs here too
        self.live: Store | None = None
        self._rng = random.Random(seed)
        self.lock = threading.Lock()
        self.apps: dict[str, App] = {}
        # Jobs are kept apart from environments: they survive DeleteBackend of their env.
        self.jobs: dict[tuple[str, str], dict[str, Job]] = {}
        self._history: list[tuple[float, bytes]] = []  # the eventual quirk: (when, state) after writes
        self.tombstones: set[tuple[str, str]] = set()  # (app, env) an API was deleted from: r7_recreate
        self.latest_by_env: dict[str, Resource] = {}  # env name -> API created last in any app: r8_config_by_env
        self.cursors: dict[str, tuple[str, int]] = {}  # the cursor-tokens quirk: token -> (listing, next offset)

    @property
    def final_status(self) -> str:
        return "SUCCEEDED" if self.job_words else self.JOB_STATUS

    def job_operation(self, operation_id: str) -> str:
        """What a job of the operation is called: its operationId, or with job-words in kebab case."""
        if not self.job_words:
            return operation_id
        return "".join("-" + c.lower() if c.isupper() else c for c in operation_id).lstrip("-").replace("a-p-i", "api")

    def record_job(self, app_id: str, env: str, operation: str) -> Job:
        stamp = now_iso()
        job = Job(self.new_job_id(app_id), self.job_operation(operation), self.final_status, stamp, stamp)
        if self.job_words:
            job.pending_status = "PENDING"
        if self.async_jobs:
            job.settles_at = clock() + self._rng.uniform(1.0, 2.0)
        self.jobs.setdefault((app_id, env), {})[job.job_id] = job
        if self.live is not None and app_id in self.live.apps:  # a job announced is a job recorded
            self.live.jobs.setdefault((app_id, env), {})[job.job_id] = job
        return job

    def new_job_id(self, app_id: str) -> str:
        """A jobId: as any id, or with jobs-per-app the app's next number (job-00001, job-00002, ...),
        counted in the live app when a copy of the past hands it out, so that it is new there too."""
        if not self.jobs_per_app:
            return self.new_id()
        app = (self.live.apps.get(app_id) if self.live is not None else None) or self.apps.get(app_id)
        if app is None:  # no app to count in (never so for a handler: each finds or makes its app first)
            return self.new_id()
        app.jobs_numbered += 1
        return f"job-{app.jobs_numbered:05d}"

    # ---- the eventual quirk: reads see the state as it was a moment ago -----------------------

    HISTORY = 3.0  # seconds of past states kept (reads lag EVENTUAL_LAG behind)
    EVENTUAL_LAG = 0.3  # one lag for every read, as a replica behind its primary: once seen, state stays seen

    def remember(self) -> None:
        """Keep the state as it is after a write (called under ``lock``)."""
        now = clock()
        self._history.append((now, pickle.dumps((self.apps, self.jobs))))
        while len(self._history) > 1 and self._history[1][0] < now - self.HISTORY:
            self._history.pop(0)

    def as_seen_a_moment_ago(self) -> Store:
        """A copy of the state as it was EVENTUAL_LAG ago (called under ``lock``), for reads to
        see, or for the late-deletes quirk's writes to act on (what they change is then dropped).
        What was never written is in no past state, so it is absent at once."""
        when = clock() - self.EVENTUAL_LAG
        index = bisect.bisect_right([t for t, _ in self._history], when) - 1
        past = Store(
            self.long_ids,
            self.async_jobs,
            job_words=self.job_words,
            opaque_ids=self.opaque_ids,
            jobs_per_app=self.jobs_per_app,
        )
        past.lock = self.lock  # a handler that lets the lock go for a moment (r8_update_race) lets this one go
        if index >= 0:
            past.apps, past.jobs = pickle.loads(self._history[index][1])
        past.latest_by_env = self.latest_by_env  # the r8_config_by_env fault answers the latest at once
        past.cursors = self.cursors  # a cursor is the server's own, not part of the lagging state
        return past

    def new_id(self) -> str:
        """A jobId or sessionId: 32 hex digits, or with long-ids far longer and with '-._~', or with
        opaque-tokens long and with '+/=:@'."""
        plain = new_id()
        if self.opaque_ids:
            return f"{plain}+{plain[::-1]}/{plain[:12]}=:{plain}@{plain[-12:]}=="
        return plain if not self.long_ids else "-".join([plain] * 6) + "._~" + plain[::-1]

    def new_code(self) -> str:
        """A challengeCode: 8 hex digits, or with long-ids as long as an id."""
        return new_id()[-8:] if not self.long_ids else self.new_id()

    def remove_app(self, app_id: str, keep_jobs: bool = False) -> None:
        self.apps.pop(app_id, None)
        if keep_jobs:  # the r8_remove_keeps_jobs fault
            return
        for key in [key for key in self.jobs if key[0] == app_id]:
            del self.jobs[key]

    @staticmethod
    def clone_environment(resources: dict[str, Resource]) -> dict[str, Resource]:
        return copy.deepcopy(resources)
