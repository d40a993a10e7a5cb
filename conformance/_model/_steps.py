"""What the model-based phase draws, and the request each step becomes.

A sequence is drawn as a topic (which operations it leans on, besides the backend's own) and a
list of raw steps: small numbers that say which operation and which app, environment, session
or job it names, resolved only when the step is sent (a session or job index picks among those the sequence was
handed, or names one never handed out). So hypothesis can delete any step while shrinking and
the rest still name sensible things.
"""

from __future__ import annotations

import random
from typing import Any

import amplify_strategies as strategies
from hypothesis import strategies as st

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
MIN_STEPS = 8  # drawn steps of a sequence at least (shrinking then deletes what a failure does not need)
MAX_STEPS = 14
REFS = 4  # a session or job reference: one of the first three handed out, or one never handed out
ENVIRONMENTS = 3  # e0..e2 in each app
ENV_PICKS = 4  # 0 and 1: the environment the step before named; 2, 3: e0, e1
# what UpdateBackendJob sets, by variant: both members, the status alone, the operation alone
JOB_VALUES = (
    {"operation": "CreateBackendAuth", "status": "COMPLETED"},
    {"status": "FAILED"},
    {"operation": "CloneBackend"},
)
# ListBackendJobs' maxResults, by variant (None: the target's own page size)
PAGE_SIZES = (None, 1, 25)

RawStep = tuple[str, int, int, int, int, int]  # operation, app, environment, target, reference, variant


def pool(topic: str, selected: frozenset[str]) -> tuple[str, ...]:
    """The operations a sequence of the topic draws from, as many times each as it is to be
    likely: the topic's writes most, reads and RemoveAllBackends (which ends what came before)
    least."""
    weights = {op: 1 if op in READS else 3 for op in TOPICS[topic]}
    weights |= {"CreateBackend": 2, "CloneBackend": 2, "DeleteBackend": 2, "GetBackend": 1, "RemoveAllBackends": 1}
    if topic == "tokens":
        weights["DeleteToken"] = 1  # a session deleted early leaves little to ask about
    return tuple(op for op, n in weights.items() for _ in range(n) if op in selected or op == "CreateBackend")


def programs(selected: frozenset[str]) -> st.SearchStrategy[tuple[str, list[RawStep]]]:
    """A topic and the raw steps of one sequence, half the time drawn step by step by hypothesis
    (which likes repeats and edge values: three CreateToken in a row), half the time from a seed
    it draws, with even odds for every operation and name (an interleaving such as create,
    delete, create again in one environment comes two to three times as often so)."""
    topics = [topic for topic, ops in TOPICS.items() if any(op in selected for op in ops)] or ["tokens"]

    def drawn(topic: str) -> st.SearchStrategy[tuple[str, list[RawStep]]]:
        return st.tuples(st.just(topic), st.lists(_raw(pool(topic, selected)), min_size=MIN_STEPS, max_size=MAX_STEPS))

    def seeded(topic: str) -> st.SearchStrategy[tuple[str, list[RawStep]]]:
        return st.integers(0, 2**32 - 1).map(
            lambda seed: (topic, _even_odds(random.Random(seed), pool(topic, selected)))
        )

    return st.sampled_from(topics).flatmap(lambda topic: st.one_of(drawn(topic), seeded(topic)))


def _even_odds(rng: random.Random, ops: tuple[str, ...]) -> list[RawStep]:
    return [
        (
            rng.choice(ops),
            rng.randrange(3),
            rng.randrange(ENV_PICKS),
            rng.randrange(ENVIRONMENTS - 1),
            rng.randrange(REFS),
            rng.randrange(len(JOB_VALUES)),
        )
        for _ in range(rng.randint(MIN_STEPS, MAX_STEPS))
    ]


def _raw(ops: tuple[str, ...]) -> st.SearchStrategy[RawStep]:
    return st.tuples(
        st.sampled_from(ops),
        st.integers(0, 2),  # the app: 0 the one the step before named, 1 the first, 2 the second
        st.integers(0, ENV_PICKS - 1),
        st.integers(0, ENVIRONMENTS - 2),
        st.integers(0, REFS - 1),
        st.integers(0, len(JOB_VALUES) - 1),  # the body's variant
    )


class Names:
    """The environments each app of one sequence has named, in order of first use, and the one
    the last step named: a step names that app and environment again often, so sequences dwell
    on one environment (create, delete, create again) as the bugs worth finding need. Deleting a step
    may rename what the next names; the phase shrinks resolved steps, which keep their names."""

    def __init__(self) -> None:
        self.envs: list[list[str]] = [["e0"], []]
        self.last = "e0"
        self.last_app = 0

    def app(self, pick: int) -> int:
        self.last_app = self.last_app if pick == 0 else pick - 1
        return self.last_app

    def env(self, app: int, pick: int) -> str:
        name = self.last if pick < 2 else f"e{pick - 2}"
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
    tag = f"v{step.variant}"
    role = resource_role(step.op)
    if step.op == "CreateBackend":
        return {**strategies.valid_body(step.op), "appId": app_id, "backendEnvironmentName": step.env}
    if step.op == "CloneBackend":
        return {"targetEnvironmentName": step.target}
    if step.op == "UpdateBackendJob":
        return dict(JOB_VALUES[step.variant % len(JOB_VALUES)])
    if step.op == "ListBackendJobs":
        size = PAGE_SIZES[step.variant % len(PAGE_SIZES)]
        return {} if size is None else {"maxResults": size}
    if step.op == "UpdateBackendConfig":
        return strategies.telling_body(step.op, tag)
    if role is not None and role.role in ("create", "update", "import"):
        body = strategies.telling_body(step.op, tag)
        if "backendEnvironmentName" in body:
            body["backendEnvironmentName"] = step.env
        return named(body)
    body = strategies.valid_body(step.op)
    return NO_BODY if body is None else named(body)
