"""What the model-based phase draws, and the request each step becomes.

A sequence leans on a topic (one or two of API, Auth, Storage, tokens, config and jobs, beside the
backend's own operations) and is drawn step by step as it is sent: each step small numbers that
say which operation and which app, environment, session or job it names, resolved only when the
step is sent (a session or job index picks among those the sequence was handed, or names one
never handed out), now and then the start of a lifecycle the contract speaks of whose other steps
follow on the same place, and each write's body one of several variants that differ in every
member. The phase shrinks resolved steps, which keep their names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import amplify_strategies as strategies

from .._allowances import named
from .._target import NO_BODY
from .._world import resource_role
from ._state import READS, Model, Step

# the backend's own operations: in every sequence
BACKEND = ("CreateBackend", "CloneBackend", "DeleteBackend", "RemoveAllBackends", "GetBackend")
TOPICS: dict[str, tuple[str, ...]] = {
    "api": (
        "CreateBackendAPI",
        "DeleteBackendAPI",
        "UpdateBackendAPI",
        "GenerateBackendAPIModels",
        "GetBackendAPI",
        "GetBackendAPIModels",
    ),
    "auth": ("CreateBackendAuth", "DeleteBackendAuth", "UpdateBackendAuth", "ImportBackendAuth", "GetBackendAuth"),
    "storage": (
        "CreateBackendStorage",
        "DeleteBackendStorage",
        "UpdateBackendStorage",
        "ImportBackendStorage",
        "GetBackendStorage",
        "ListS3Buckets",
    ),
    "tokens": ("CreateToken", "DeleteToken", "GetToken"),
    "config": ("CreateBackendConfig", "UpdateBackendConfig", "RemoveBackendConfig"),
    "jobs": ("UpdateBackendJob", "ListBackendJobs", "GetBackendJob"),
}
MIN_STEPS = 12  # drawn steps of a sequence at least (shrinking then deletes what a failure does not need)
MAX_STEPS = 22
REFS = 6  # a session or job reference: one of the first five handed out, or one never handed out
ENVIRONMENTS = 3  # e0..e2 in each app
DWELL = 3  # picks of an app or environment that name the one the step before named
ENV_PICKS = DWELL + ENVIRONMENTS  # 0..DWELL-1: the environment the step before named; then e0, e1, e2
APP_PICKS = DWELL + 2  # 0..DWELL-1: the app the step before named; then the first, the second
AGAIN = 0.3  # how often a seeded sequence draws the operation before it again
VARIANTS = 6  # bodies of a write: each variant differs from the others in every member (varied_body)
# what UpdateBackendJob sets, by variant: both members, the status alone, the operation alone
JOB_VALUES = (
    {"operation": "CreateBackendAuth", "status": "COMPLETED"},
    {"status": "FAILED"},
    {"operation": "CloneBackend"},
)
# ListBackendJobs' maxResults, by variant (None: the target's own page size), and its filters
PAGE_SIZES = (None, 1, 25)
LIST_FILTERS = (
    {},
    {"status": "FAILED"},
    {"status": "COMPLETED"},
    {"operation": "CloneBackend"},
    {"operation": "CreateBackendAuth"},
    {"operation": "CreateBackendAuth", "status": "COMPLETED"},
)  # by variant: every value JOB_VALUES sets, alone and together

RawStep = tuple[str, int, int, int, int, int]  # operation, app, environment, target, reference, variant


def pool(topic: str, selected: frozenset[str]) -> tuple[str, ...]:
    """The operations a sequence of the topic draws from, as many times each as it is to be
    likely: the topic's writes most, reads and RemoveAllBackends (which ends what came before)
    least. A topic may join two (``auth+storage``): what one category's operations do to
    another's state shows only where they meet."""
    weights: dict[str, int] = {}
    for one in topic.split("+"):
        weights |= {op: 1 if op in READS else 6 for op in TOPICS[one]}
        if one == "tokens":
            weights["DeleteToken"] = 2  # a session deleted early leaves little to ask about
    # every write is read back as it is answered, and RemoveAllBackends ends what came before
    weights |= {"CreateBackend": 2, "CloneBackend": 2, "DeleteBackend": 2, "GetBackend": 1, "RemoveAllBackends": 1}
    return tuple(op for op, n in weights.items() for _ in range(n) if op in selected or op == "CreateBackend")


def topics(selected: frozenset[str]) -> tuple[list[str], list[str]]:
    """The topics a sequence may lean on: each alone, and each two at once."""
    single = [topic for topic, ops in TOPICS.items() if any(op in selected for op in ops)] or ["tokens"]
    return single, [f"{a}+{b}" for i, a in enumerate(single) for b in single[i + 1 :]]


# The lifecycles the contract's sequence sentences speak of, as short runs of steps on one place
# (R7: created again after its delete; R8: an environment created again starts empty, a clone and
# its source are two, each update shows what it submitted, every session answers until deleted, a
# job UpdateBackendJob changed is still listed): a sequence weaves them among its random steps.
# C, D, U stand for a category's create, delete and update.
RESOURCE_MOTIFS = (
    ("C", "D", "C"),
    ("C", "DeleteBackend", "CreateBackend"),
    ("C", "CloneBackend", "D"),
    ("C", "U", "U"),
)
TOPIC_MOTIFS = {
    "tokens": (("CreateToken", "CreateToken", "CreateToken"), ("CreateToken", "DeleteToken", "CreateToken")),
    "jobs": (("UpdateBackendJob", "UpdateBackendJob", "ListBackendJobs"),),
    "config": (("CreateBackendConfig", "UpdateBackendConfig", "UpdateBackendConfig"),),
}
MOTIF = 0.25  # how often a step begins a lifecycle when none is under way
AIMS = 5  # pairs of operations a sequence is handed to weave in: a write, then the other on its place
AIM = 0.4  # how often a step begins the next of them when nothing is under way


def motifs(topic: str) -> tuple[tuple[str, ...], ...]:
    """The lifecycles a sequence of the topic weaves in, with its categories' operations named;
    where it joins two categories, also one's resource made beside the other's, then the other's
    deleted or updated (a write reaches no other category's state)."""
    found: list[tuple[str, ...]] = []
    categories = [one for one in topic.split("+") if one in ("api", "auth", "storage")]
    for one in topic.split("+"):
        if one in categories:
            create, delete, update = TOPICS[one][:3]
            names = {"C": create, "D": delete, "U": update}
            found += [tuple(names.get(op, op) for op in motif) for motif in RESOURCE_MOTIFS]
        found += TOPIC_MOTIFS.get(one, ())
    for a in categories:
        for b in categories:
            if a != b:
                found += [(TOPICS[a][0], TOPICS[b][0], TOPICS[b][1]), (TOPICS[a][0], TOPICS[b][0], TOPICS[b][2])]
    return tuple(found)


@dataclass
class Program:
    """One sequence to draw, step by step as it is sent: its topic, the operations it draws from
    (as many times each as it is to be likely), how many steps, and its own generator."""

    topic: str
    ops: tuple[str, ...]
    length: int
    rng: random.Random
    lifecycles: tuple[tuple[str, ...], ...] = ()
    aims: list[tuple[str, str]] = field(default_factory=list)  # pairs still to weave in (see aimed)
    pending: list[RawStep] = field(default_factory=list)  # the rest of a lifecycle under way

    def aimed(self) -> RawStep | None:
        """At times, the write of the next pair the sequence was handed, its other operation to
        follow on the same place (sent whatever the model expects of it: the pair is what counts,
        a 404 included); None when not now."""
        rng = self.rng
        if self.pending or not self.aims or rng.random() >= AIM:
            return None
        write, then = self.aims.pop(0)
        ref = rng.randrange(REFS)
        self.pending = [(then, 0, 0, rng.randrange(ENVIRONMENTS - 1), ref, rng.randrange(VARIANTS))]
        places = (rng.randrange(APP_PICKS), rng.randrange(ENV_PICKS), rng.randrange(ENVIRONMENTS - 1))
        return (write, *places, ref, rng.randrange(VARIANTS))

    def raw(self, last_op: str | None) -> RawStep:
        """A step with even odds for every name: its operation drawn afresh or, at times, the one
        before drawn again (a burst: three creates in a row, two updates, a delete and a create);
        or the first of a lifecycle whose other steps follow on the same place (``pending``)."""
        rng = self.rng
        if self.lifecycles and rng.random() < MOTIF:
            first, *rest = rng.choice(self.lifecycles)
            ref = rng.randrange(REFS)
            self.pending = [(op, 0, 0, rng.randrange(ENVIRONMENTS - 1), ref, rng.randrange(VARIANTS)) for op in rest]
            return (first, rng.randrange(APP_PICKS), rng.randrange(ENV_PICKS), 0, ref, rng.randrange(VARIANTS))
        op = last_op if last_op is not None and rng.random() < AGAIN else rng.choice(self.ops)
        return (
            op,
            rng.randrange(APP_PICKS),
            rng.randrange(ENV_PICKS),
            rng.randrange(ENVIRONMENTS - 1),
            rng.randrange(REFS),
            rng.randrange(VARIANTS),
        )


def program(selected: frozenset[str], rng: random.Random, aims: list[tuple[str, str]] | None = None) -> Program:
    """One sequence: half lean on one topic, half on two at once (swarm testing: a few operations
    drawn often meet more than many drawn rarely; two categories' operations meet only where both
    are drawn); ``aims``, pairs of operations it weaves in whatever its topic (see Aims)."""
    single, pairs = topics(selected)
    topic = rng.choice(single if rng.random() < 0.5 or not pairs else pairs)
    selected_lifecycles = tuple(m for m in motifs(topic) if all(op in selected for op in m))
    length = rng.randint(MIN_STEPS, MAX_STEPS)
    return Program(topic, pool(topic, selected), length, rng, selected_lifecycles, list(aims or ()))


class Names:
    """The environments each app of one sequence has named, in order of first use, and the one
    the last step named: a step names that app and environment again often, so sequences dwell
    on one environment (create, delete, create again) as the bugs worth finding need. Deleting a step
    may rename what the next names; the phase shrinks resolved steps, which keep their names."""

    def __init__(self) -> None:
        self.envs: list[list[str]] = [["e0"], ["e0"]]
        self.last = "e0"
        self.last_app = 0

    def app(self, pick: int) -> int:
        self.last_app = self.last_app if pick < DWELL else pick - DWELL
        return self.last_app

    def env(self, app: int, pick: int) -> str:
        name = self.last if pick < DWELL else f"e{pick - DWELL}"
        return self._named(app, name)

    def target(self, app: int, source: str, pick: int) -> str:
        """CloneBackend's target: e1 first (what shrinking prefers), never the source."""
        others = [f"e{i}" for i in (*range(1, ENVIRONMENTS), 0) if f"e{i}" != source]
        return self._named(app, others[pick % len(others)])

    def _named(self, app: int, name: str) -> str:
        if name not in self.envs[app]:
            self.envs[app].append(name)
        self.last = name
        return name


def resolve(raw: RawStep, names: Names) -> Step:
    op, app_pick, env_pick, target_pick, ref, variant = raw
    app = names.app(app_pick)
    env = names.env(app, env_pick)
    target = names.target(app, env, target_pick) if op == "CloneBackend" else ""
    return Step(op, app, env, target, ref, variant)


def request(step: Step, app_id: str, model: Model) -> tuple[dict[str, str], Any]:
    """The path parameters and body of a step."""
    session, job = model.session(step.ref), model.job(step.ref)
    values = {
        "appId": app_id,
        "backendEnvironmentName": step.env,
        "sessionId": session.session_id if session else f"nosession{step.ref}",
        "jobId": job.job_id if job else f"nojob{step.ref}",
    }
    from amplify_openapi import operation

    op = operation(step.op)
    params = {name: values[name] for name in op.path_parameters}
    return params, _body(step, app_id)


def _body(step: Step, app_id: str) -> Any:
    role = resource_role(step.op)
    if step.op == "CreateBackend":
        return {**strategies.valid_body(step.op), "appId": app_id, "backendEnvironmentName": step.env}
    if step.op == "CloneBackend":
        return {"targetEnvironmentName": step.target}
    if step.op == "UpdateBackendJob":
        return dict(JOB_VALUES[step.variant % len(JOB_VALUES)])
    if step.op == "ListBackendJobs":
        size = PAGE_SIZES[step.variant % len(PAGE_SIZES)]
        filters = LIST_FILTERS[step.variant % len(LIST_FILTERS)]
        return {**filters} if size is None else {**filters, "maxResults": size}
    if step.op == "UpdateBackendConfig":
        return strategies.varied_body(step.op, step.variant)
    if role is not None and role.role in ("create", "update", "import"):
        body = strategies.varied_body(step.op, step.variant)
        if "backendEnvironmentName" in body:
            body["backendEnvironmentName"] = step.env
        return named(body)
    body = strategies.valid_body(step.op)
    return NO_BODY if body is None else named(body)
