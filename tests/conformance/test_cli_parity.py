"""amplify-conformance parity and run --record: exit 0 alike, 1 different, 2 cannot compare."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest
from amplify_conformance._reporting import validate_parity
from amplify_conformance.cli import main
from amplify_emulator import Emulator, EmulatorConfig

TOKENS = "CreateToken,GetToken,DeleteToken"


@pytest.fixture
def clean_and_faulted():
    """Two clean emulators and one with r8_token (GetToken gives another challengeCode)."""
    with ExitStack() as stack:
        urls = []
        for faults in ((), (), ("r8_token",)):
            config = EmulatorConfig(throttle_rps=None, error_rate=0.0, faults=frozenset(faults))
            urls.append(stack.enter_context(Emulator(config, host="127.0.0.1", port=0)).base_url + "/prod")
        yield urls


def _parity(*args: str) -> int:
    return main(["parity", "--operations", TOKENS, *args])


def test_parity_exits_0_when_alike_1_when_not_and_writes_its_three_reports(clean_and_faulted, tmp_path, capsys):
    clean, other, faulted = clean_and_faulted
    assert _parity("--base-url", clean, "--against", other, "--report-dir", str(tmp_path / "same")) == 0
    assert "3 operations: 3 same, 0 differ" in capsys.readouterr().out
    assert _parity("--base-url", clean, "--against", faulted, "--report-dir", str(tmp_path / "differ")) == 1
    out = capsys.readouterr().out
    assert "DIFFER  GetToken" in out and "DIFFER  CreateToken" not in out
    report = json.loads((tmp_path / "differ" / "parity.json").read_text())
    validate_parity(report)
    assert [op["operationId"] for op in report["operations"] if op["verdict"] == "differ"] == ["GetToken"]
    assert (tmp_path / "differ" / "parity.md").exists() and (tmp_path / "differ" / "parity.html").exists()


def test_run_record_then_parity_against_the_recording(clean_and_faulted, tmp_path, capsys):
    clean, other, faulted = clean_and_faulted
    recording = tmp_path / "tokens.json"
    run = ["run", "--base-url", clean, "--operations", TOKENS, "--quiet", "--report-dir", str(tmp_path / "run")]
    assert main([*run, "--record", str(recording)]) == 0
    assert "recording: " in capsys.readouterr().out and recording.exists()
    assert (tmp_path / "run" / "report.json").exists()  # a recorded run is still a run
    reports = ["--report-dir", str(tmp_path / "parity")]
    assert _parity("--base-url", other, "--against-recording", str(recording), *reports) == 0
    assert _parity("--base-url", faulted, "--against-recording", str(recording), *reports) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--no-normalise", "no-such-rule"], "unknown normalisation rule 'no-such-rule'"),
        (["--against-recording", "missing.json"], "missing.json: cannot read"),
        (["--against", "http://127.0.0.1:9/prod"], "side B: cannot reach"),
        (["--level", "nonsense"], "unknown level 'nonsense'"),
    ],
)
def test_parity_that_cannot_be_made_exits_2_in_one_line(clean_and_faulted, tmp_path, capsys, args, message):
    clean = clean_and_faulted[0]
    if "--against" not in args and "--against-recording" not in args:
        args = [*args, "--against", clean_and_faulted[1]]
    code = main(["parity", "--base-url", clean, "--operations", "GetToken", "--report-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_parity_needs_exactly_one_side_b(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["parity", "--base-url", "http://127.0.0.1:9/prod"])
    assert exit_.value.code == 2 and "--against" in capsys.readouterr().err


def test_run_record_into_a_folder_that_cannot_be_written_fails_before_the_run(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    target = tmp_path / "file" / "recording.json"
    code = main(["run", "--report-dir", str(tmp_path / "reports"), "--record", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the recording to" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "reports" / "report.json").exists()  # nothing was run


def test_parity_reads_side_a_and_its_options_from_the_settings_file(clean_and_faulted, tmp_path, monkeypatch, capsys):
    clean, other, faulted = clean_and_faulted
    (tmp_path / "amplify-conformance.toml").write_text(
        f'base-url = "{clean}"\noperations = ["GetToken"]\nreport-dir = "out"\naccept = "deviations.yaml"\nsettle = 1\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["parity", "--against", other]) == 0  # run's keys parity has no use for are passed over
    report = json.loads((tmp_path / "out" / "parity.json").read_text())
    assert [op["operationId"] for op in report["operations"]] == ["GetToken"]
    assert report["sides"]["a"]["conformance"]["settle_bound"] == 1
    assert report["settings_file"] == str(tmp_path / "amplify-conformance.toml")
    validate_parity(report)
    assert main(["parity", "--against", faulted]) == 1
    assert main(["parity", "--base-url", faulted, "--against", other]) == 1  # a flag overrides the file


def test_parity_without_side_a_or_with_a_bad_settings_file_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["parity", "--against", "http://127.0.0.1:9/prod"]) == 2
    assert "parity needs --base-url" in capsys.readouterr().err
    (tmp_path / "amplify-conformance.toml").write_text('base-url = "http://127.0.0.1:9/prod"\nbase-ur = 1\n')
    assert main(["parity", "--against", "http://127.0.0.1:9/prod"]) == 2
    err = capsys.readouterr().err
    assert "base-ur" in err and "did you mean 'base-url'" in err and len(err.strip().splitlines()) == 1
