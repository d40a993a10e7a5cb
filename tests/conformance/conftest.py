"""Shared helpers of the conformance tests: the fake runner behind the command, the one-line
error every refusal must be, the target flags several tests pass, and the pytest entry run in
a subprocess as a user runs it."""

from __future__ import annotations

import subprocess
import sys
import types

import amplify_conformance
import pytest

# The target part of a command line, as the option and settings tests give it.
TARGET_FLAGS = ["--base-url", "http://localhost:9/prod", "--level", "schema,aws", "--operations", "CreateBackend"]


class FakeTargetUnreachable(Exception):
    """Stands in for amplify_conformance.TargetUnreachable."""


class FakeRunner:
    """Records the options it was given and replays a canned result, reporting progress per operation."""

    def __init__(self, result=None, raises=None, during=None):
        self.result, self.raises, self.during = result, raises, during
        self.options = None

    def __call__(self, options, progress=None, tick=None):
        self.options = options
        if self.raises is not None:
            raise self.raises
        for op in self.result["operations"]:
            if progress is not None:
                progress(op)
        if self.during is not None:
            return self.during(self.result)
        return types.SimpleNamespace(to_dict=lambda: self.result)


@pytest.fixture
def fake_run(monkeypatch):
    """Install a fake runner; returns a function that sets what it does."""

    def install(**behaviour) -> FakeRunner:
        runner = FakeRunner(**behaviour)
        monkeypatch.setattr(amplify_conformance, "run", runner, raising=False)
        monkeypatch.setattr(amplify_conformance, "RunOptions", types.SimpleNamespace, raising=False)
        monkeypatch.setattr(amplify_conformance, "TargetUnreachable", FakeTargetUnreachable, raising=False)
        return runner

    return install


def one_clear_line(stderr: str) -> str:
    """The one line of an error, asserted to be one line and no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def run_pytest_entry(*args: str, cwd=None, timeout: float = 600) -> subprocess.CompletedProcess:
    """``pytest --pyargs amplify_conformance ARGS`` in a fresh interpreter, its output captured."""
    command = [sys.executable, "-m", "pytest", "--pyargs", "amplify_conformance", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
