"""The state a request needs in order to break only the rule it is about.

A World is one app and one environment made for one operation's checks, with the resources,
token and job that operation names. Relations between operations are read from the spec's
paths (a category such as api/auth/storage, and the path suffix that makes an operation the
category's create, get, update, delete or import), never listed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import amplify_openapi as spec

CATEGORIES = ("api", "auth", "storage")  # what an environment holds
_RESOURCE_PATH = re.compile(rf"^/backend/\{{appId\}}/({'|'.join(CATEGORIES)})(/\{{backendEnvironmentName\}}(/\w+)?)?$")
ROLE_BY_SUFFIX = {
    None: "create",
    "": "update",
    "/details": "get",
    "/remove": "delete",
    "/import": "import",
    "/generateModels": "generate",
    "/getModels": "models",
}


@dataclass(frozen=True)
class Role:
    category: str  # api | auth | storage
    role: str  # create | get | update | delete | import | generate | models


@cache
def resource_role(operation_id: str) -> Role | None:
    """Which resource category an operation acts on, and how, from its path alone."""
    match = _RESOURCE_PATH.match(spec.operation(operation_id).path)
    if not match:
        return None
    suffix = None if match.group(2) is None else (match.group(3) or "")
    return Role(match.group(1), ROLE_BY_SUFFIX[suffix])


@cache
def operation_for(category: str, role: str) -> spec.Operation:
    return next(op for op in spec.operations() if resource_role(op.operation_id) == Role(category, role))


@cache
def operation_at(path: str, method: str = "POST") -> spec.Operation:
    return next(op for op in spec.operations() if op.path == path and op.method == method)


def needs_existing_resource(operation_id: str) -> bool:
    role = resource_role(operation_id)
    return role is not None and role.role not in ("create", "import")


def makes_what_it_names(operation_id: str) -> bool:
    """Operations that create the environment or resource their request names: whether they may
    make it again is open (CONTRACT: a check that needs a fresh one makes one where none exists)."""
    role = resource_role(operation_id)
    return spec.operation(operation_id).path == "/backend" or (role is not None and role.role in ("create", "import"))


def removes_what_it_names(operation_id: str) -> bool:
    """Operations whose success takes away the state their next request needs."""
    op = spec.operation(operation_id)
    return op.path.endswith("/remove")


@dataclass
class World:
    app_id: str
    env: str
    session_id: str | None = None
    job_id: str | None = None
    resources: set[str] = field(default_factory=set)  # categories created

    def sibling(self, suffix: str) -> World:
        """Another environment of this world's app (nothing made in it yet)."""
        return World(self.app_id, self.env + suffix)

    @property
    def clone_env(self) -> str:
        """Where CloneBackend copies this world's environment to."""
        return self.env + "cl"

    def path_parameters(self, op: spec.Operation) -> dict[str, str]:
        values = {
            "appId": self.app_id,
            "backendEnvironmentName": self.env,
            # before the world holds a token or job, a name that exists nowhere
            "sessionId": self.session_id or "nosession",
            "jobId": self.job_id or "nojob",
        }
        return {name: values[name] for name in op.path_parameters}
