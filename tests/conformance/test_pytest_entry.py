"""`pytest --pyargs amplify_conformance --base-url URL -n 2` runs the suite's items in parallel."""

from __future__ import annotations

import subprocess

import pytest
from amplify_emulator import Emulator, EmulatorConfig

from .conftest import run_pytest_entry

pytestmark = pytest.mark.quality


def _pytest(base_url: str, *extra: str) -> subprocess.CompletedProcess:
    return run_pytest_entry("--base-url", base_url, "-n", "2", "-q", "-p", "no:cacheprovider", *extra)


def test_pytest_entry_passes_a_conformant_target_and_fails_a_broken_operation_only():
    with Emulator(EmulatorConfig(stage="/prod")) as clean:  # all 31 pass in the run below; exit 0 here
        ok = _pytest(clean.base_url + "/prod", "-k", "ListS3Buckets or CreateBackendAuth")
    assert ok.returncode == 0, ok.stdout[-3000:]
    assert "2 passed" in ok.stdout
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset({"r5_enum_accepted"}))) as broken:
        # the broken operation beside one whose world it makes (GetBackendAuth) and one apart: no spill
        bad = _pytest(broken.base_url + "/prod", "-k", "CreateBackendAuth or GetBackendAuth or ListBackendJobs")
    assert bad.returncode == 1
    assert "1 failed, 2 passed" in bad.stdout
    assert "test_operation_conforms[CreateBackendAuth]" in bad.stdout
    assert "R5.enum-accepted" in bad.stdout and "curl " in bad.stdout
