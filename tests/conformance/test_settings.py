"""Settings in a file: the same run as the flags, flags override, a bad file is one line and exit 2.

The runner is the fake of conftest.py: what reaches it is what the flags or the file asked for.
"""

from __future__ import annotations

import importlib.metadata
import json

import pytest
from amplify_conformance import _runner, cli

from ._report_fixtures import mixed_result, passing_result
from .conftest import TARGET_FLAGS, one_clear_line

FLAGS = [
    *TARGET_FLAGS,
    "--header",
    "X-Trace: a:b",
    "--workers",
    "3",
    "--seed",
    "7",
    "--timeout",
    "2.5",
    "--max-examples",
    "4",
    "--app-id",
    "d1example",
    "--fuzz",
    "--region",
    "eu-west-1",
    "--rate-limit",
    "600/m",
]
SETTINGS = """\
base-url = "http://localhost:9/prod"
level = ["schema", "aws"]
operations = "CreateBackend"
header = ["X-Trace: a:b"]
workers = 3
seed = 7
timeout = 2.5
max-examples = 4
app-id = "d1example"
fuzz = true
region = "eu-west-1"
rate-limit = "10/s"
report-dir = "out"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a subfolder as the working directory."""
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    return tmp_path


def test_a_settings_file_gives_the_same_options_as_the_flags(project, fake_run):
    by_flags = fake_run(result=passing_result())
    assert cli.main(["run", *FLAGS, "--report-dir", str(project / "flags")]) == 0
    (project / "amplify-conformance.toml").write_text(SETTINGS)
    by_file = fake_run(result=passing_result())
    assert cli.main(["run"]) == 0
    flags, from_file = vars(by_flags.options), vars(by_file.options)
    # --fuzz keeps its example database under each run's own report folder
    assert flags.pop("database") == str(project / "flags" / "fuzz-db")
    assert from_file.pop("database") == str(project / "out" / "fuzz-db")
    # and the ledger of what the run creates sits beside its reports
    assert (flags.pop("ledger_dir"), from_file.pop("ledger_dir")) == (str(project / "flags"), str(project / "out"))
    assert from_file == flags
    report = json.loads((project / "out" / "report.json").read_text())  # relative to the file
    assert report["settings_file"] == str(project / "amplify-conformance.toml")
    assert json.loads((project / "flags" / "report.json").read_text())["settings_file"] is None


def test_the_pyproject_table_is_read_and_a_flag_overrides_it(project, fake_run):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.amplify-conformance]\n' + SETTINGS)
    runner = fake_run(result=passing_result())
    assert cli.main(["run", "--seed", "8", "--level", "behaviour", "--no-fuzz"]) == 0
    o = runner.options
    assert (o.seed, o.levels, o.fuzz, o.timeout, o.base_url) == (
        8,
        ("behaviour",),
        False,
        2.5,
        "http://localhost:9/prod",
    )
    assert json.loads((project / "out" / "report.json").read_text())["settings_file"] == str(project / "pyproject.toml")


def test_a_pyproject_without_the_table_is_passed_over(project, fake_run):
    (project / "amplify-conformance.toml").write_text("seed = 11\n")
    (project / "sub" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    runner = fake_run(result=passing_result())
    assert cli.main(["run", "--report-dir", str(project / "r")]) == 0
    assert runner.options.seed == 11


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("seed = \n", "amplify-conformance.toml: not TOML: Invalid value (at line 1, column 8)"),
        ("timeout = 1\nbase_url = 'http://x'\n", "amplify-conformance.toml:2: base_url: unknown setting (did you mean"),
        ("timeout = 'soon'\n", "amplify-conformance.toml:1: timeout: 'soon' is not a float"),
        ("fuzz = 'yes'\n", "amplify-conformance.toml:1: fuzz: 'yes' is not true or false"),
        ("level = 3\n", "amplify-conformance.toml:1: level: 3 is not a string or a list of strings"),
        ("header = ['Authorization: AWS4 x']\n", "'Authorization' looks like a credential"),
        ("level = 'security'\n", "unknown level 'security'"),
        ("accept = 'missing.yaml'\n", "missing.yaml: cannot read the deviations file"),
        ("strict-accept = true\n", "--strict-accept needs --accept FILE"),
    ],
)
def test_a_bad_settings_file_is_one_clear_error_and_exit_2(project, fake_run, capsys, text, says):
    (project / "amplify-conformance.toml").write_text(text)
    runner = fake_run(result=passing_result())
    assert cli.main(["run", "--report-dir", str(project / "r")]) == 2
    assert says in one_clear_line(capsys.readouterr().err)
    assert runner.options is None  # nothing was sent


def test_a_bad_deviations_file_is_exit_2_before_the_run(project, fake_run, capsys):
    (project / "d.yaml").write_text("deviations:\n  - operation: GetBackend\n    check: R3.cors\n    reasn: x\n")
    runner = fake_run(result=passing_result())
    assert cli.main(["run", "--accept", str(project / "d.yaml"), "--report-dir", str(project / "r")]) == 2
    assert f"{project / 'd.yaml'}:4: deviations[0]: unknown key `reasn`" in one_clear_line(capsys.readouterr().err)
    assert runner.options is None and not (project / "r" / "report.json").exists()


def test_accept_of_an_unreadable_report_is_one_line_and_exit_2(project, capsys):
    (project / "report.json").write_text("{}")
    assert cli.main(["accept", str(project / "report.json")]) == 2
    assert "not a conformance report" in one_clear_line(capsys.readouterr().err)


def test_accept_prints_a_file_that_run_accept_then_takes(project, fake_run, capsys):
    (project / "report.json").write_text(json.dumps(mixed_result()))
    assert cli.main(["accept", str(project / "report.json")]) == 0
    (project / "d.yaml").write_text(capsys.readouterr().out.replace("reason: TODO", "reason: storage v2"))
    fake_run(result=mixed_result())
    assert cli.main(["run", "--accept", str(project / "d.yaml"), "--report-dir", str(project / "r")]) == 1  # an error
    out = capsys.readouterr().out
    assert "ACCEPTED CreateBackendStorage" in out and "1 accepted" in out


def test_version_is_the_installed_one_and_the_one_reports_carry(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    version = importlib.metadata.version("amplify-conformance")
    assert capsys.readouterr().out.strip() == f"amplify-conformance {version}"
    assert _runner.__version__ == version


def test_the_readmes_table_pasted_into_amplify_conformance_toml_is_read_too(project, fake_run):
    fake_run(result=passing_result())
    (project / "amplify-conformance.toml").write_text("[tool.amplify-conformance]\n" + SETTINGS)
    assert cli.main(["run", "--report-dir", str(project / "reports")]) == 0
    assert json.loads((project / "reports" / "report.json").read_text())["settings_file"].endswith(
        "amplify-conformance.toml"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "seed = 3\n[tool.amplify-conformance]\ntimeout = 2\n",
            "settings both at the top level (seed) and under [tool.amplify-conformance]: keep one of the two",
        ),
        ("[tool.black]\nline-length = 3\n", "[tool.black] is not read here: put the run settings at the top level"),
        (
            "[tool.amplify-conformance]\ntimeout = 1\nbase_url = 'x'\n",
            ":3: [tool.amplify-conformance] base_url: unknown",
        ),
    ],
)
def test_a_settings_file_mixing_both_forms_says_exactly_what_to_change(project, fake_run, capsys, text, says):
    fake_run(result=passing_result())
    (project / "amplify-conformance.toml").write_text(text)
    assert cli.main(["run", "--report-dir", str(project / "reports")]) == 2
    assert says in one_clear_line(capsys.readouterr().err)
