"""Fuzzing ends on a minimal failing example: hypothesis shrinks what schemathesis found."""

from __future__ import annotations

import json

import pytest
from amplify_conformance import RunOptions, run

from .. import hostile

pytestmark = pytest.mark.quality


def _lists_buckets_but_chokes_on_long_tokens(handler):
    """Conformant except one bug: ListS3Buckets answers 500 to a nextToken longer than 3 characters."""
    if handler.command == "OPTIONS":
        return hostile.answer(handler, 200, b"")
    try:
        sent = json.loads(handler.sent_body or b"{}")
    except ValueError:
        sent = None
    path = handler.path.split("?")[0]
    if path == "/prod/backend" and isinstance(sent, dict):
        answer = {"appId": sent.get("appId", "a"), "backendEnvironmentName": sent.get("backendEnvironmentName", "e")}
        return hostile.answer(handler, 200, json.dumps(answer).encode())
    if path == "/prod/s3Buckets":
        if isinstance(sent, dict) and isinstance(sent.get("nextToken"), str) and len(sent["nextToken"]) > 3:
            return hostile.answer(handler, 500, b'{"message": "boom"}')
        return hostile.answer(handler, 200, b'{"buckets": []}')
    return hostile.answer(handler, 404, b'{"message": "none"}')


def test_fuzzing_shrinks_a_failure_to_a_minimal_example():
    with hostile.http_target(_lists_buckets_but_chokes_on_long_tokens) as url:
        result = run(
            RunOptions(
                base_url=url,
                operations=("ListS3Buckets",),
                fuzz=True,
                max_examples=10,
                stateful=False,
                seed=11,
                timeout=2,
            )
        )
    check = result.check("ListS3Buckets", "R6.no-5xx")
    assert check["verdict"] == "fail", check
    fuzzed = [f for f in check["failures"] if "schemathesis" in (f["case"] or "")]
    assert fuzzed, check["failures"]
    minimal = json.loads(fuzzed[0]["request"]["body"])
    assert len(minimal["nextToken"]) == 4  # the shortest token that still fails
    assert fuzzed[0]["seed"] == 11 and fuzzed[0]["curl"].startswith("curl ")
