"""R8.token-lifecycle: CreateToken, GetToken and DeleteToken keep state."""

from __future__ import annotations

from .. import _checks as C
from .._target import NO_BODY, Exchange
from .._unit import Unit
from .._world import World, operation_at
from ._isolation import session_isolation
from ._reads import judge_read


def token_lifecycle(unit: Unit, world: World) -> None:
    """A new session resolves; GetToken gives CreateToken's session and code (and only in its own
    app); after DeleteToken, GetToken is 404."""
    create = operation_at("/backend/{appId}/challenge")
    get = operation_at("/backend/{appId}/challenge/{sessionId}", "GET")
    made = unit.send(create, {"appId": world.app_id})
    token = C.body_of(made.reply)
    if unit.status(made) != 200 or not token.get("sessionId"):
        return
    params = {"appId": world.app_id, "sessionId": token["sessionId"]}
    if unit.op is create:
        unit.judge_status(C.TOKEN, unit.settle_status(get, params, NO_BODY, 200), 200, "GetToken of the new session")
    elif unit.op is get:
        if "challengeCode" not in token:
            return

        def same(answer: Exchange) -> bool:
            got = C.body_of(answer.reply)
            return (got.get("sessionId"), got.get("challengeCode")) == (token["sessionId"], token["challengeCode"])

        judge_read(
            unit,
            C.TOKEN,
            lambda: unit.send(get, params),
            same,
            lambda got: (
                f"GetToken gave sessionId {got.get('sessionId')!r}, challengeCode {got.get('challengeCode')!r}; "
                f"CreateToken gave {token['sessionId']!r}, {token['challengeCode']!r}"
            ),
        )
        session_isolation(unit, world, token["sessionId"])
    else:
        unit.settle_status(get, params, NO_BODY, 200)  # what is deleted must first be there
        removed = unit.send(unit.op, params)
        if unit.status(removed) != 200:
            return
        unit.judge_status(C.TOKEN, unit.settle_status(get, params, NO_BODY, 404), 404, "GetToken after DeleteToken")
