"""No secret in any artifact: a run signed with a canary AWS credential (SigV4, with a session
token) and given a canary --header value, against an implementation with a fault (so there are
failing requests to reproduce), writing every report, a recording, a fuzzing campaign's failure
database and a replay; not one canary may appear in any file it wrote or anything it printed."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest
from amplify_emulator import Emulator, EmulatorConfig

CANARIES = {
    "AWS_ACCESS_KEY_ID": "AKIACANARY7Q2W9E4R6T",
    "AWS_SECRET_ACCESS_KEY": "canarySecretKey0xq7V2nW9mZ4kR8tY3bL6pD1sF5",
    "AWS_SESSION_TOKEN": "canarySessionTokenFwoGZXIvYXdzEB0aDK9",
}
HEADER_CANARY = "canaryHeaderValue8J3kQ"  # under a name that does not look secret: the user's word is enough
OPERATIONS = "CreateBackendStorage,GetBackend"


def _cli(env, *args):
    command = [sys.executable, "-m", "amplify_conformance.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def _contents(folder):
    """Every file under ``folder`` as bytes, gzip files also unpacked."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield path, gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.fixture
def faulty():
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset({"r4_required"}))) as emu:
        yield emu.base_url + "/prod"


def test_no_canary_credential_or_header_value_in_any_artifact_or_log(tmp_path, faulty, monkeypatch):
    env = {**_environment(monkeypatch, tmp_path), **CANARIES}
    out = tmp_path / "out"
    common = ["--base-url", faulty, "--sigv4", "--region", "us-east-1", "--header", f"X-Tenant: {HEADER_CANARY}"]
    common += ["--operations", OPERATIONS, "--report-dir", str(out / "reports")]
    runs = [
        _cli(env, "run", *common, "--record", str(out / "recording.json.gz")),
        _cli(env, "run", *common, "--fuzz", "--rounds", "1", "--db", str(out / "fuzz-db"), "--seed", "3"),
        _cli(env, "replay", str(out / "reports" / "report.json")),
    ]
    assert [run.returncode for run in runs] == [1, 1, 1], [run.stderr[-2000:] for run in runs]
    assert list((out / "fuzz-db").rglob("*")) and (out / "recording.json.gz").exists()
    assert "curl" in (out / "reports" / "report.json").read_text()  # failing requests, with reproducers
    log = "".join(run.stdout + run.stderr for run in runs).encode()
    for canary in [*CANARIES.values(), HEADER_CANARY]:
        assert canary.encode() not in log, canary
        for path, data in _contents(out):
            assert canary.encode() not in data, f"{canary} in {path}"


def _environment(monkeypatch, tmp_path):
    """The process's environment without any real AWS configuration the canaries could lose to."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    return env
