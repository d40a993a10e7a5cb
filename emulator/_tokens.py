"""The handlers of an app's login tokens: a session id with a challenge code and a time to live."""

from __future__ import annotations

from typing import Any

from ._calls import Call, find_app, handler_table, not_found
from ._state import Store, Token

TOKEN_TTL = "3600"

HANDLERS, handles = handler_table()


def _token(store: Store, call: Call) -> Token:
    token = find_app(store, call).tokens.get(call.params["sessionId"])
    if token is None and "r7_session_case" in call.faults and call.operation_id == "DeleteToken":
        tokens = find_app(store, call).tokens
        token = next((t for known, t in tokens.items() if known.lower() == call.params["sessionId"].lower()), None)
    if token is None and "r8_shared_token" in call.faults and call.operation_id == "GetToken":
        session = call.params["sessionId"]
        token = next((a.tokens[session] for a in store.apps.values() if session in a.tokens), None)
    if token is None:
        raise not_found("token", f"session {call.params['sessionId']!r}")
    return token


def _token_answer(call: Call, token: Token) -> dict[str, Any]:
    return {
        "appId": call.app_id,
        "sessionId": token.session_id,
        "ttl": token.ttl,
        "challengeCode": token.challenge_code,
    }


@handles("CreateToken")
def create_token(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    token = Token(store.new_id(), store.new_code(), TOKEN_TTL)
    if "r8_third_token" in call.faults:
        while len(app.tokens) >= 2:  # room for two sessions: the oldest makes way
            del app.tokens[next(iter(app.tokens))]
    app.tokens[token.session_id] = token
    return _token_answer(call, token)


@handles("GetToken")
def get_token(store: Store, call: Call) -> dict[str, Any]:
    answer = _token_answer(call, _token(store, call))
    if "r8_token" in call.faults:
        answer["challengeCode"] = answer["challengeCode"][::-1] + "x"
    return answer


@handles("DeleteToken")
def delete_token(store: Store, call: Call) -> dict[str, Any]:
    token = _token(store, call)
    del store.apps[call.app_id].tokens[token.session_id]
    return {"isSuccess": True}
