"""An executable model of contract v3's R7 and R8: what a sequence of operations does to apps,
environments, resources, tokens and jobs, and which answers each step may get.

Written from the contract alone (it shares nothing with the emulator). Where the contract leaves
a choice open, the model allows every answer the contract allows and carries the uncertainty
forward (a thing that may or may not exist, a config that is one of several), so that no
conformant choice fails it; what the target chose is written down as it answers.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .. import _allowances as allow
from .._workflows._echo import difference, short

YES, NO, MAYBE = "yes", "no", "maybe"
CATEGORIES = ("api", "auth", "storage")
# operations whose 200 answer carries a jobId that GetBackendJob must resolve (RemoveAllBackends
# aside: its app is gone with its jobs; GetBackendJob and UpdateBackendJob name an existing job)
JOB_MAKERS = frozenset(
    {
        "CreateBackend",
        "CreateBackendAPI",
        "UpdateBackendAPI",
        "GenerateBackendAPIModels",
        "DeleteBackendAPI",
        "CreateBackendAuth",
        "UpdateBackendAuth",
        "ImportBackendAuth",
        "DeleteBackendAuth",
        "CreateBackendConfig",
        "CloneBackend",
        "DeleteBackend",
        "CreateBackendStorage",
        "UpdateBackendStorage",
        "ImportBackendStorage",
        "DeleteBackendStorage",
    }
)
# jobs whose home environment the contract leaves open (jobs-elsewhere)
HOMELESS = frozenset({"CloneBackend", "CreateBackendConfig"})
READS = frozenset(
    {
        "GetBackend",
        "GetBackendAPI",
        "GetBackendAuth",
        "GetBackendStorage",
        "GetBackendAPIModels",
        "GetToken",
        "GetBackendJob",
        "ListBackendJobs",
        "ListS3Buckets",
    }
)


@dataclass(frozen=True)
class Step:
    """One request of a sequence, with its references resolved: which app (0 or 1), which
    environment it names, CloneBackend's target, which session or job (an index into those the
    sequence has seen; one past the end is an id never handed out) and which body variant."""

    op: str
    app: int = 0
    env: str = "e0"
    target: str = "e1"
    ref: int = 0
    variant: int = 0

    def describe(self, app_names: tuple[str, ...]) -> str:
        where = f"{app_names[self.app]}/{self.env}"
        if self.op == "CloneBackend":
            where += f" -> {self.target}"
        if self.op in ("GetToken", "DeleteToken", "GetBackendJob", "UpdateBackendJob"):
            where += f" #{self.ref}"
        return f"{self.op}({where})"


@dataclass
class Expect:
    """The answers a step may get: allowed statuses and, for a 200, what its body must show
    (``body`` returns what is wrong with it, or None), and why, for the report."""

    statuses: frozenset[int]
    why: str
    body: Callable[[dict[str, Any]], str | None] | None = None
    gone_at: float | None = None  # when the delete that makes it 404 was answered (a write may see it late)

    def judge(self, status: int, answer: dict[str, Any]) -> str | None:
        """What contradicts the model in an answer, or None."""
        if status not in self.statuses:
            return f"answered {status}, the model allows {'/'.join(map(str, sorted(self.statuses)))}: {self.why}"
        if status == 200 and self.body is not None:
            wrong = self.body(answer)
            if wrong:
                return f"{wrong}: {self.why}"
        return None


@dataclass
class Resource:
    present: str = NO
    configs: list[Any] = field(default_factory=list)  # what Get{...} may show: one of these (None: anything)
    since: str = ""  # the step that made it what it is, for the report
    generated: bool = False  # GenerateBackendAPIModels ran on it
    gone_at: float | None = None  # when its delete was answered
    # how it was made since its last delete ("created", "imported"): an import names no resource,
    # so a target keeping one resource per name may hold both, and a delete leave the import
    kinds: set[str] = field(default_factory=set)
    imports: list[Any] = field(default_factory=list)  # the configs an import may show


@dataclass
class Env:
    # listed: made by CreateBackend or CloneBackend; implicit: made by a resource's create (whether
    # GetBackend lists it is open); gone: deleted by DeleteBackend
    state: str
    since: str
    resources: dict[str, Resource] = field(default_factory=lambda: {c: Resource() for c in CATEGORIES})
    gone_at: float | None = None  # when DeleteBackend of it was answered


@dataclass
class Session:
    app: int
    life: int  # the app's life (a RemoveAllBackends ends one)
    session_id: str
    code: Any
    deleted: bool = False
    since: str = ""
    gone_at: float | None = None


@dataclass
class Job:
    app: int
    life: int
    job_id: str
    home: str | None  # the environment whose listing holds it; None: open (see HOMELESS)
    since: str
    set_to: dict[str, Any] | None = None  # what UpdateBackendJob set
    adrift: bool = False  # its environment was deleted: whether it still resolves is open


@dataclass
class App:
    exists: str = NO
    life: int = 0
    since: str = ""
    envs: dict[str, Env] = field(default_factory=dict)
    config: str = NO
    gone_at: float | None = None  # when RemoveAllBackends of it was answered


class Model:
    """The state a sequence has made, as the contract sees it."""

    def __init__(self, app_ids: tuple[str, ...] = ("", "")) -> None:
        self.app_ids = app_ids  # what the target calls the apps: a job may say of itself which it is in
        self.apps = [App(), App()]
        self.sessions: list[Session] = []
        self.jobs: list[Job] = []
        self.choices: dict[str, set[str]] = {}  # an open choice -> the answers the target gave

    # ---- references -------------------------------------------------------------------------

    def session(self, ref: int, app: int | None = None) -> Session | None:
        """The session a step's reference names (through ``app``: see ``_twin``)."""
        session = self.sessions[ref] if ref < len(self.sessions) else None
        return session if session is None or app is None else self._twin(self.sessions, session, app, "session_id")

    def job(self, ref: int, app: int | None = None) -> Job | None:
        """The job a step's reference names (through ``app``: see ``_twin``)."""
        job = self.jobs[ref] if ref < len(self.jobs) else None
        return job if job is None or app is None else self._twin(self.jobs, job, app, "job_id")

    def chose(self, choice: str, answer: str) -> None:
        self.choices.setdefault(choice, set()).add(answer)

    # ---- expectations -----------------------------------------------------------------------

    def expect(self, step: Step, sent: Any = None) -> Expect:
        """What the step may be answered, given the state so far (``sent``: its request body)."""
        if step.op == "ListS3Buckets":
            return Expect(frozenset({200}), "ListS3Buckets names no app")
        app = self.apps[step.app]
        if step.op == "CreateBackend":
            return self._create_backend(app, step)
        if app.exists == NO:
            why = "the app was removed by " + app.since if app.since else "the app was never created"
            return Expect(frozenset({404}), why, gone_at=app.gone_at)
        expect = self._on_app(app, step, sent)
        if app.exists == MAYBE:  # its last environment was deleted: whether the app lives on is open
            return replace(
                expect, statuses=expect.statuses | {404}, why=expect.why + " (if the app outlived its last environment)"
            )
        return expect

    def _create_backend(self, app: App, step: Step) -> Expect:
        env = app.envs.get(step.env) if app.exists != NO else None
        if env is not None and env.state != "gone":
            return Expect(frozenset({200, 400}), f"environment {step.env} exists ({env.since}): 200 or 400 is open")
        return Expect(frozenset({200}), "CreateBackend of a new environment")

    def _on_app(self, app: App, step: Step, sent: Any) -> Expect:
        op = step.op
        env = app.envs.get(step.env)
        if op == "GetBackend":
            return Expect(frozenset({200}), f"the app exists ({app.since})", self._lists_envs(app))
        if op == "CloneBackend":
            return self._clone(app, env, step)
        if op == "DeleteBackend":
            return self._on_env(env, step.env, "DeleteBackend")
        if op == "RemoveAllBackends":
            return Expect(frozenset({200}), f"the app exists ({app.since})")
        if op == "CreateToken":
            return Expect(frozenset({200}), f"the app exists ({app.since})")
        if op in ("GetToken", "DeleteToken"):
            return self._token(step)
        if op == "CreateBackendConfig":
            if app.config != NO:
                return Expect(frozenset({200, 400}), "the app's config may exist: 200 or 400 is open")
            return Expect(frozenset({200}), f"the app exists ({app.since})")
        if op in ("UpdateBackendConfig", "RemoveBackendConfig"):
            body = _echoes_login(sent) if op == "UpdateBackendConfig" else None
            if app.config == YES:
                return Expect(frozenset({200}), "the app's config exists", body)
            return Expect(frozenset({200, 404}), "the app has no config made: 200 or 404 is open", body)
        if op in ("GetBackendJob", "UpdateBackendJob"):
            return self._job(step)
        if op == "ListBackendJobs":
            return self._listing(step, sent)
        return self._resource(app, env, step)

    def _on_env(self, env: Env | None, name: str, op: str) -> Expect:
        if env is None or env.state == "gone":
            why = f"environment {name} was deleted by {env.since}" if env else f"environment {name} was never made"
            return Expect(frozenset({404}), why, gone_at=env.gone_at if env else None)
        if env.state == "implicit":
            return Expect(frozenset({200, 404}), f"environment {name} was made by a resource ({env.since}): open")
        return Expect(frozenset({200}), f"environment {name} exists ({env.since})")

    def _clone(self, app: App, env: Env | None, step: Step) -> Expect:
        source = self._on_env(env, step.env, "CloneBackend")
        if 200 not in source.statuses:
            return source
        target = app.envs.get(step.target)
        if step.target == step.env or (target is not None and target.state != "gone"):
            return Expect(source.statuses | {400}, f"the target environment {step.target} exists: 200 or 400 is open")
        return source

    def _lists_envs(self, app: App) -> Callable[[dict[str, Any]], str | None]:
        must = sorted(name for name, env in app.envs.items() if env.state == "listed")
        never = sorted(name for name, env in app.envs.items() if env.state == "gone")

        def check(answer: dict[str, Any]) -> str | None:
            listed = allow.listed(answer, "backendEnvironmentList")
            if listed is None:
                return f"backendEnvironmentList is {short(answer.get('backendEnvironmentList'))}"
            missing = [name for name in must if name not in listed]
            twice = sorted({name for name in listed if listed.count(name) > 1})
            stale = [name for name in never if name in listed]
            if missing or twice or stale:
                return (
                    f"backendEnvironmentList {short(listed)}"
                    + (f" lacks {missing}" if missing else "")
                    + (f" lists {twice} twice" if twice else "")
                    + (f" still lists deleted {stale}" if stale else "")
                )
            return None

        return check

    def _token(self, step: Step) -> Expect:
        session = self.session(step.ref, step.app)
        if session is None:
            return Expect(frozenset({404}), f"session #{step.ref} was never handed out")
        if session.app != step.app or session.life != self.apps[step.app].life:
            why = f"session #{step.ref} belongs to another app ({session.since})"
            return Expect(frozenset({404}), why, gone_at=self._ended(session, step.app))
        if session.deleted:
            return Expect(
                frozenset({404}), f"session #{step.ref} was deleted by {session.since}", gone_at=session.gone_at
            )
        body = None
        if step.op == "GetToken":

            def body(answer: dict[str, Any]) -> str | None:
                got, made = (answer.get("sessionId"), answer.get("challengeCode")), (session.session_id, session.code)
                return None if got == made else f"sessionId/challengeCode {short(got)}, CreateToken gave {short(made)}"

        return Expect(frozenset({200}), f"session #{step.ref} was made by {session.since}", body)

    def _job(self, step: Step) -> Expect:
        job = self.job(step.ref, step.app)
        if job is None:
            return Expect(frozenset({404}), f"job #{step.ref} was never handed out")
        if job.app != step.app or job.life != self.apps[step.app].life:
            return Expect(
                frozenset({404}),
                f"job #{step.ref} belongs to another app ({job.since})",
                gone_at=self._ended(job, step.app),
            )
        body = self._job_shows(job) if step.op == "GetBackendJob" else None
        if job.home == step.env and not job.adrift:
            return Expect(frozenset({200}), f"job #{step.ref} was made by {job.since} in {step.env}", body)
        return Expect(frozenset({200, 404}), f"job #{step.ref} ({job.since}) looked up through {step.env}: open", body)

    def _twin(self, things: list, thing: Any, app: int, id_member: str) -> Any:
        """The session or job of ``app``'s present life that has the same id as ``thing``, if
        ``thing`` belongs elsewhere and one does: ids may be unique per app only (an app, or a
        later life of one, may hand out an id another handed out), so the id then names that one."""
        life = self.apps[app].life
        if thing.app == app and thing.life == life:
            return thing
        same = getattr(thing, id_member)
        return next((t for t in things if t.app == app and t.life == life and getattr(t, id_member) == same), thing)

    @staticmethod
    def _job_shows(job: Job) -> Callable[[dict[str, Any]], str | None] | None:
        if job.set_to is None:
            return None
        wanted = dict(job.set_to)
        return lambda answer: (
            None
            if all(answer.get(k) == v for k, v in wanted.items())
            else f"operation/status {short({k: answer.get(k) for k in wanted})}, UpdateBackendJob set {short(wanted)}"
        )

    def _listing(self, step: Step, sent: Any) -> Expect:
        """ListBackendJobs of an environment, with the filters ``sent`` gives: every job the model
        is sure the environment holds and matches them, none it knows belongs elsewhere or does
        not match them, and no listed job that shows values other than the filters'."""
        life = self.apps[step.app].life
        filters = {k: sent[k] for k in ("operation", "status") if isinstance(sent, dict) and k in sent}
        mine = [j for j in self.jobs if j.app == step.app and j.life == life]
        here = [j for j in mine if j.home == step.env and not j.adrift]
        must = [j for j in here if _matches(j, filters) is True]
        unmatched = [j for j in mine if j.home in (step.env, None) and _matches(j, filters) is False]
        elsewhere = [j for j in mine if j.home is not None and j.home != step.env]
        foreign = [j for j in self.jobs if j.app != step.app or j.life != life]
        statuses = frozenset({200}) if must else frozenset({200, 404})
        filtered = f" matching {filters}" if filters else ""
        why = (
            f"environment {step.env} holds {len(must)} job(s){filtered} ({', '.join(j.since for j in must)})"
            if must
            else f"environment {step.env} holds no job{filtered} the model is sure of: 200 or 404 is open"
        )
        own = [j.job_id for j in mine if j.home in (step.env, None)]
        app_id = self.app_ids[step.app] or None

        def check(answer: dict[str, Any]) -> str | None:
            entries = [j for j in allow.listed(answer, "jobs") or [] if isinstance(j, dict)]
            listed = [j.get("jobId") for j in entries]
            missing = [f"#{self.jobs.index(j)} ({j.since})" for j in must if j.job_id not in listed]
            twice = sorted({i for i in listed if listed.count(i) > 1})
            away = allow.strays(entries, app_id, [j.job_id for j in elsewhere + foreign], own)
            strays = [f"#{self.jobs.index(j)} ({j.since})" for j in elsewhere + foreign if j.job_id in away]
            strays += [short(i) for i in away if i not in {j.job_id for j in elsewhere + foreign}]
            shown_other = [
                short({k: e.get(k) for k in filters})
                for e in entries
                if any(k in e and e[k] != v for k, v in filters.items())
            ]
            known_other = [
                f"#{self.jobs.index(j)} ({j.since}, set to {j.set_to})" for j in unmatched if j.job_id in listed
            ]
            if missing:
                return f"the listing{filtered} lacks job {', '.join(missing)}"
            if twice:
                return f"the listing holds job {short(twice)} more than once"
            if strays:
                return f"the listing holds job {', '.join(strays)} of another environment or app"
            if shown_other or known_other:
                return f"the listing{filtered} holds jobs that do not match: {', '.join(shown_other + known_other)}"
            return None

        return Expect(statuses, why, check)

    def _resource(self, app: App, env: Env | None, step: Step) -> Expect:
        category, role = resource_role_of(step.op)
        if role in ("create", "import"):
            resource = env.resources[category] if env is not None and env.state != "gone" else Resource()
            if resource.present == NO:
                return Expect(frozenset({200}), f"no {category} exists in {step.env} to {role} over")
            return Expect(frozenset({200, 400}), f"the {category} exists ({resource.since}): 200 or 400 is open")
        resource = env.resources[category] if env is not None and env.state != "gone" else None
        if resource is None or resource.present == NO:
            gone = resource.since if resource is not None and resource.since else ""
            if env is not None and env.state == "gone":
                gone = f"its environment was deleted by {env.since}"
            why = f"no {category} in {step.env}" + (f": {gone}" if gone else "")
            gone_at = env.gone_at if env is not None and env.state == "gone" else resource and resource.gone_at
            return Expect(frozenset({404}), why, gone_at=gone_at or (app.gone_at if app.life else None))
        statuses = frozenset({200}) if resource.present == YES else frozenset({200, 404})
        why = f"the {category} in {step.env} was made by {resource.since}"
        if resource.present == MAYBE:
            why += " (whether it was kept is open)"
        body = None
        if role == "get":
            body = _holds_one(resource.configs)
        elif role == "models" and not resource.generated:
            statuses |= {404}
            why += "; its models were never generated: 200 or 404 is open"
        return Expect(statuses, why, body)

    def _ended(self, thing: Session | Job, app: int) -> float | None:
        """When the app life ``thing`` belonged to ended, if it was this app's last one."""
        here = self.apps[app]
        return here.gone_at if thing.app == app and thing.life == here.life - 1 else None

    # ---- effects ----------------------------------------------------------------------------

    def lagged(self, step: Step, label: str, answer: dict[str, Any], sent: Any) -> None:
        """A write answered 200 where a delete answered a moment ago made the model expect 404: the
        target acted on what it saw before the delete (CONTRACT 'Asynchrony': writes, like reads,
        may see a change late). Whether what the write did survives the delete is the target's
        choice: a resource it updated in an environment still alive may or may not exist now, and
        its job may or may not resolve; in a removed app or a deleted environment the delete
        stands (later answers naming them are still held to it, after the settle bound)."""
        self.chose("a write right after a delete", "acted on what was deleted")
        app = self.apps[step.app]
        job_id = answer.get("jobId")
        if step.op in JOB_MAKERS and isinstance(job_id, str):
            life = app.life if app.exists != NO else app.life - 1
            self.jobs.append(Job(step.app, life, job_id, None if step.op in HOMELESS else step.env, label, adrift=True))
        category, role = resource_role_of(step.op)
        env = app.envs.get(step.env)
        if app.exists == NO or env is None or env.state == "gone" or category is None:
            return
        resource = env.resources[category]
        if role == "update":
            config = sent.get("resourceConfig") if isinstance(sent, dict) else None
            resource.present, resource.since, resource.configs = MAYBE, label, [config]
        elif role == "generate" and resource.present != NO:
            resource.generated = True

    def apply(self, step: Step, label: str, status: int, answer: dict[str, Any], sent: Any) -> None:
        """What the step's answer did to the state (reads change nothing)."""
        if step.op in READS or status != 200:
            if status == 400 and step.op.startswith(("Create", "Import")):
                self.chose(f"{step.op} of what exists", "400")
            return
        app = self.apps[step.app]
        if step.op == "CreateBackend":
            if app.exists == NO:
                app.exists, app.since, app.envs, app.config = YES, label, {}, NO
            app.exists = YES
            env = app.envs.get(step.env)
            if env is not None and env.state != "gone":
                self.chose("CreateBackend of what exists", "200")
                env.state = "listed"
                for resource in env.resources.values():  # replaced or kept: open
                    if resource.present != NO:
                        resource.present = MAYBE
            else:
                app.envs[step.env] = Env("listed", label)
        elif app.exists == MAYBE:
            app.exists = YES  # it answered 200: it lived on
        self._job_made(step, label, answer)
        op = step.op
        env = app.envs.get(step.env)
        if op == "RemoveAllBackends":
            app.exists, app.since, app.life, app.envs, app.config = NO, label, app.life + 1, {}, NO
            app.gone_at = time.monotonic()
        elif op == "DeleteBackend" and env is not None:
            env.state, env.since, env.gone_at = "gone", label, time.monotonic()
            env.resources = {c: Resource(since=f"its environment was deleted by {label}") for c in CATEGORIES}
            for job in self.jobs:
                if job.app == step.app and job.home == step.env:
                    job.adrift = True
            if not any(e.state != "gone" for e in app.envs.values()):
                app.exists = MAYBE
        elif op == "CloneBackend" and env is not None:
            self._cloned(app, env, step, label)
        elif op == "CreateToken":
            self.sessions.append(
                Session(step.app, app.life, str(answer.get("sessionId")), answer.get("challengeCode"), since=label)
            )
        elif op == "DeleteToken" and (session := self.session(step.ref, step.app)) is not None:
            session.deleted, session.since, session.gone_at = True, label, time.monotonic()
        elif op == "CreateBackendConfig":
            app.config = YES
        elif op == "UpdateBackendConfig":
            app.config = YES
        elif op == "RemoveBackendConfig":
            app.config = MAYBE
        elif op == "UpdateBackendJob" and (job := self.job(step.ref, step.app)) is not None:
            job.set_to = {k: sent[k] for k in ("operation", "status") if isinstance(sent, dict) and k in sent}
        elif resource_role_of(op)[0]:
            self._resource_changed(app, step, label, sent)

    def _job_made(self, step: Step, label: str, answer: dict[str, Any]) -> None:
        job_id = answer.get("jobId")
        if step.op in JOB_MAKERS and isinstance(job_id, str):
            home = None if step.op in HOMELESS else step.env
            self.jobs.append(Job(step.app, self.apps[step.app].life, job_id, home, label))

    def _cloned(self, app: App, source: Env, step: Step, label: str) -> None:
        target = app.envs.get(step.target)
        copies = copy.deepcopy(source.resources)
        for resource in copies.values():
            resource.since = f"{resource.since}, copied by {label}" if resource.present != NO else ""
        if target is not None and target.state != "gone":  # cloned over an environment: open
            self.chose("CloneBackend onto an environment that exists", "200")
            for category, resource in target.resources.items():  # kept, replaced or merged: open
                copied = copies[category]
                if NO != resource.present or NO != copied.present:
                    resource.present, resource.since = MAYBE, label
                resource.configs = resource.configs + copied.configs
                # merged, what each was made by may be there: an import beside a named resource
                resource.kinds, resource.imports = resource.kinds | copied.kinds, resource.imports + copied.imports
            target.state = "listed"
        else:
            app.envs[step.target] = Env("listed", label, copies)

    def _resource_changed(self, app: App, step: Step, label: str, sent: Any) -> None:
        category, role = resource_role_of(step.op)
        env = app.envs.get(step.env)
        if env is None or env.state == "gone":
            env = app.envs[step.env] = Env("implicit", label)
        resource = env.resources[category]
        config = sent.get("resourceConfig") if isinstance(sent, dict) else None
        if role == "import":
            config = {"imported": True, "bucketName": sent.get("bucketName")} if category == "storage" else None
        if role in ("create", "import"):
            if resource.present != NO:
                self.chose(f"{step.op} of what exists", "200")
                resource.configs = resource.configs + [config]  # replaced or kept: open
            else:
                resource.configs = [config]
                resource.generated = False
            resource.present, resource.since = YES, label
            resource.kinds.add("imported" if role == "import" else "created")
            if role == "import":
                resource.imports.append(config)
        elif role == "update":
            resource.present, resource.since, resource.configs = YES, label, [config]
        elif role == "delete" and resource.kinds >= {"created", "imported"}:
            # CONTRACT 'Resource names' takes no side on an import beside a named resource: it may
            # outlive the named one's delete
            resource.present, resource.since, resource.configs = (
                MAYBE,
                f"{label} (an import may outlive it)",
                [*resource.imports],
            )
            resource.kinds, resource.generated, resource.gone_at = {"imported"}, False, time.monotonic()
        elif role == "delete":
            resource.present, resource.since, resource.configs = NO, f"deleted by {label}", []
            resource.generated, resource.gone_at, resource.kinds, resource.imports = False, time.monotonic(), set(), []
        elif role == "generate":
            resource.generated = True


def _matches(job: Job, filters: dict[str, Any]) -> bool | None:
    """Whether a job matches ListBackendJobs' filters, as far as the model knows what it shows
    (what UpdateBackendJob set): True, False, or None when a filtered value is the target's own."""
    if not filters:
        return True
    known = job.set_to or {}
    if any(k in known and known[k] != v for k, v in filters.items()):
        return False
    return True if all(k in known for k in filters) else None


def resource_role_of(operation_id: str) -> tuple[str | None, str | None]:
    from .._world import resource_role

    role = resource_role(operation_id)
    return (role.category, role.role) if role else (None, None)


def _echoes_login(sent: Any) -> Callable[[dict[str, Any]], str | None] | None:
    """Whether an UpdateBackendConfig answer carries the loginAuthConfig it was given (R8.echo)."""
    wanted = sent.get("loginAuthConfig") if isinstance(sent, dict) else None
    if wanted is None:
        return None
    return lambda answer: difference(answer.get("loginAuthConfig"), wanted, "loginAuthConfig")


def _holds_one(configs: list[Any]) -> Callable[[dict[str, Any]], str | None]:
    """Whether a Get{...} answer's resourceConfig holds one of the configs the model allows."""

    def check(answer: dict[str, Any]) -> str | None:
        got = answer.get("resourceConfig")
        misses = [difference(got, wanted, "resourceConfig") for wanted in configs if wanted is not None]
        if not configs or any(wanted is None for wanted in configs) or any(m is None for m in misses):
            return None
        return misses[0] if len(misses) == 1 else f"resourceConfig {short(got)} holds none of the configs submitted"

    return check
