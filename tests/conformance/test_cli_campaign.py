"""`run --fuzz --duration`: durations as people write them, a database under the report folder,
progress while it runs (a live bar on a terminal, plain lines elsewhere, nothing with --quiet)."""

from __future__ import annotations

import argparse
import io
import json

import pytest
from amplify_conformance._progress import CampaignDisplay, describe
from amplify_conformance.cli import main
from amplify_conformance.cli._values import duration as _duration

STATS = {
    "elapsed": 12.0,
    "remaining": 48.0,
    "duration": 60.0,
    "requests": 1200,
    "requests_per_second": 100.0,
    "distinct_inputs": 800,
    "distinct_failures": 2,
    "rounds": 3,
    "replayed": 0,
}


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("12", 12), ("1.5m", 90)])
def test_durations_read_as_people_write_them(text, seconds):
    assert _duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "0s", "-5m", "10d", ""])
def test_a_bad_duration_is_a_usage_error(text, capsys):
    with pytest.raises(argparse.ArgumentTypeError):
        _duration(text)
    with pytest.raises(SystemExit) as exit:
        main(["run", "--fuzz", "--duration", text])
    assert exit.value.code == 2 and "--duration" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["0", "-2", "1.5", "many"])
def test_rounds_are_a_positive_whole_number(text, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", "--fuzz", "--rounds", text])
    assert exit.value.code == 2 and "--rounds" in capsys.readouterr().err


def test_duration_rounds_and_db_need_fuzz(tmp_path, capsys):
    assert main(["run", "--duration", "5s", "--report-dir", str(tmp_path)]) == 2
    assert "--duration needs --fuzz" in capsys.readouterr().err
    assert main(["run", "--rounds", "2", "--report-dir", str(tmp_path)]) == 2
    assert "--rounds needs --fuzz" in capsys.readouterr().err
    assert main(["run", "--db", str(tmp_path), "--report-dir", str(tmp_path)]) == 2
    assert "--db needs --fuzz" in capsys.readouterr().err


def test_a_campaign_shows_plain_progress_off_a_terminal_and_writes_its_reports_and_database(tmp_path, capsys):
    args = ["run", "--fuzz", "--duration", "3s", "--operations", "ListS3Buckets", "--seed", "3"]
    assert main([*args, "--report-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "fuzzing: " in out and "distinct failures" in out and "PASS    ListS3Buckets" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["fuzz"]["duration"] == 3 and report["fuzz"]["database"]["path"] == str(tmp_path / "fuzz-db")
    assert (tmp_path / "fuzz-db").is_dir()
    assert main([*args, "--report-dir", str(tmp_path / "quiet"), "--quiet"]) == 0
    quiet = capsys.readouterr().out.strip().splitlines()
    assert len(quiet) == 1 and quiet[0].startswith("1 operations: 1 pass")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_progress_is_a_live_bar_with_the_figures():
    stream = _Terminal()
    with CampaignDisplay(quiet=False, stream=stream) as display:
        display.tick(STATS)
        display.line("PASS    ListS3Buckets")
    shown = stream.getvalue()
    assert "1200 req" in shown and "100/s" in shown and "2 failures" in shown and "PASS    ListS3Buckets" in shown


def test_plain_lines_come_every_so_often_and_quiet_shows_nothing():
    stream = io.StringIO()
    display = CampaignDisplay(quiet=False, stream=stream, plain_every=3600)
    for _ in range(5):
        display.tick(STATS)
    display.tick({**STATS, "finished": True})
    assert stream.getvalue().splitlines() == [describe(STATS)] * 2
    assert describe(STATS).startswith("fuzzing: 12 s of 60 s (48 s left), 1200 requests (100/s)")
    silent = io.StringIO()
    quiet = CampaignDisplay(quiet=True, stream=silent)
    quiet.tick(STATS)
    quiet.line("PASS")
    assert silent.getvalue() == ""
