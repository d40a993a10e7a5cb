"""The same implementation gets the same verdict: a run given no seed uses a fixed one, and
every example, sequence and round derives from the run's seed. --seed N replays a run, --seed
random explores (the report names the seed it drew), a campaign given none explores too."""

from __future__ import annotations

import json
import re
import types
from collections import Counter

import amplify_conformance
import pytest
from amplify_conformance import DEFAULT_SEED, RANDOM_SEED, RunOptions
from amplify_conformance._options import resolve_seed, validate
from amplify_conformance._reporting import load_report
from amplify_conformance._runner import Run
from amplify_conformance._target import NO_BODY
from amplify_conformance.cli import main

from .conftest import one_clear_line

pytestmark = pytest.mark.quality

# a few operations keep it quick; the stateful and model-based phases run over the whole spec
OPERATIONS = ("CreateBackendAuth", "UpdateBackendConfig", "ListBackendJobs", "CreateToken")
# this run's names (apps, environments: random on purpose, numbered in whatever order units run)
NAMES = re.compile(r"ac[0-9a-f]{6}(st)?\d{3}|dev[0-9a-f]{3}\d{3}")


@pytest.fixture
def generated(monkeypatch):
    """What the run's generated phases were given to send (fuzzing, the stateful and model-based
    phases: sent with a seed or judged by the fuzzing itself), the run's names masked."""
    sent: list[tuple[str, str, str]] = []
    send = Run.send

    def recording(self, op, params, *args, **kw):
        if kw.get("seed") is not None or kw.get("judge") is False:
            body = json.dumps(args[0], sort_keys=True, default=_shown) if args else ""
            sent.append((NAMES.sub("NAME", kw.get("case") or ""), op.operation_id, NAMES.sub("NAME", body)))
        return send(self, op, params, *args, **kw)

    monkeypatch.setattr(Run, "send", recording)
    return sent


def _shown(value) -> str:
    return "<no body>" if value is NO_BODY else repr(value)


def _verdicts(report: dict) -> list[tuple[str, str, str]]:
    return sorted((o["operationId"], c["name"], c["verdict"]) for o in report["operations"] for c in o["checks"])


def _once(generated: list, **options) -> tuple[dict, Counter, list]:
    generated.clear()
    plan: list[tuple[str, str, str]] = []
    recorder = lambda e: plan.append((e.unit, e.operation_id or "", NAMES.sub("NAME", e.case or "")))  # noqa: E731
    report = amplify_conformance.run(
        RunOptions(operations=OPERATIONS, max_examples=3, model=2, **options), recorder=recorder
    ).to_dict()
    return report, Counter(generated), sorted(plan)


def test_a_default_run_twice_gives_the_same_verdicts_and_sends_the_same_generated_requests(generated):
    first, sent_first, plan_first = _once(generated)
    second, sent_second, plan_second = _once(generated)
    assert (first["seed"], first["seed_source"]) == (second["seed"], second["seed_source"]) == (DEFAULT_SEED, "default")
    assert {p: first["phases"][p]["status"] for p in ("stateful", "model")} == {"stateful": "ran", "model": "ran"}
    assert _verdicts(first) == _verdicts(second)
    labels = {case for case, _, _ in sent_first}
    assert any(":schemathesis:" in c for c in labels) and any(c.endswith(":stateful") for c in labels)
    assert any(c.startswith("model-based sequence") for c in labels)
    assert sent_first == sent_second, (sent_first - sent_second, sent_second - sent_first)
    assert plan_first == plan_second
    # the phases' own words and requests: as many stateful calls and model-based requests (their
    # seconds are the machine's)
    for phase in ("stateful", "model"):
        assert _untimed(first["phases"][phase]) == _untimed(second["phases"][phase])
        assert first["phases"][phase]["requests"] > 0


def _untimed(phase: dict) -> dict:
    return {key: value for key, value in phase.items() if key != "seconds"}


def test_another_seed_sends_other_examples(generated):
    _, sent_default, _ = _once(generated)
    other, sent_other, _ = _once(generated, seed=7)
    assert (other["seed"], other["seed_source"]) == (7, "given")
    assert sent_default != sent_other


def _cli(tmp_path, name: str, *args: str) -> dict:
    out = tmp_path / name
    common = ["--operations", "ListBackendJobs", "--max-examples", "2", "--model", "0"]
    assert main(["run", "--report-dir", str(out), *common, *args]) in (0, 1)
    return load_report(out / "report.json")  # validated against reports/report.schema.json


def test_cli_seed_random_draws_a_fresh_seed_the_report_names_and_seed_n_replays_it(tmp_path, generated, capsys):
    one, two = _cli(tmp_path, "one", "--seed", "random"), _cli(tmp_path, "two", "--seed", "random")
    assert one["seed_source"] == two["seed_source"] == "random" and one["seed"] != two["seed"]
    out = capsys.readouterr().out
    assert f"seed: {one['seed']} (random; --seed {one['seed']} replays this run)" in out
    assert f"- Seed: {one['seed']} (random)" in (tmp_path / "one" / "report.md").read_text()
    generated.clear()
    seven = _cli(tmp_path, "seven", "--seed", "7")
    sent_seven = Counter(generated)
    generated.clear()
    again = _cli(tmp_path, "again", "--seed", "7")
    assert (seven["seed"], seven["seed_source"]) == (again["seed"], again["seed_source"]) == (7, "given")
    assert _verdicts(seven) == _verdicts(again) and sent_seven == Counter(generated) and sent_seven
    assert "seed: 7 (given)" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["abc", "-3", "1.5"])
def test_a_bad_seed_exits_2_naming_the_option(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--report-dir", str(tmp_path), f"--seed={value}"])
    assert exit_info.value.code == 2
    line = one_clear_line(capsys.readouterr().err)
    assert "--seed" in line and repr(value) in line


def test_a_bad_seed_in_the_settings_file_exits_2_naming_file_and_key(tmp_path, monkeypatch, capsys):
    (tmp_path / "amplify-conformance.toml").write_text('seed = "abc"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--report-dir", str(tmp_path / "reports")]) == 2
    line = one_clear_line(capsys.readouterr().err)
    assert "amplify-conformance.toml:1: seed: 'abc' is not a whole number or 'random'" in line


def test_the_library_resolves_seeds_default_fixed_campaigns_random():
    assert resolve_seed(None) == (DEFAULT_SEED, "default")
    assert resolve_seed(42) == (42, "given")
    assert resolve_seed(42, fuzz=True) == (42, "given")
    assert resolve_seed(42, source="random") == (42, "random")
    for seed, fuzz in ((RANDOM_SEED, False), (None, True)):
        drawn, source = resolve_seed(seed, fuzz=fuzz)
        assert source == "random" and 0 <= drawn < 2**32
    for bad in ("abc", -1, 1.5, True):
        with pytest.raises(ValueError, match="seed must be a whole number from 0, or 'random'"):
            validate(RunOptions(seed=bad))
    validate(RunOptions(seed=RANDOM_SEED))


def test_parity_refuses_a_bad_seed():
    from amplify_conformance import ParityError, ParityOptions, parity

    with pytest.raises(ParityError, match="seed must be"):
        parity(ParityOptions(a=RunOptions(base_url="http://127.0.0.1:9/prod", seed="abc"), recording="x.json"))


def _pytest_config(seed, fuzz=False, workerinput=None):
    options = {"--conformance-seed": seed, "--conformance-fuzz": fuzz}
    config = types.SimpleNamespace(getoption=options.__getitem__, stash=pytest.Stash())
    if workerinput is not None:
        config.workerinput = workerinput
    return config


def test_pytest_items_derive_their_seeds_from_the_session_seed_deterministically():
    from amplify_conformance.pytest_plugin import RANDOM_BASE
    from amplify_conformance.test_conformance import _seed

    default = _pytest_config(None)
    assert _seed(default, 0) == {"seed": DEFAULT_SEED, "seed_source": "default"}
    shard = _seed(default, 1)
    assert shard == _seed(_pytest_config(None), 1) and shard["seed"] != DEFAULT_SEED
    assert _seed(_pytest_config(7), 2) == _seed(_pytest_config(7), 2) != _seed(_pytest_config(7), 1)
    # random (or a campaign given none): one seed for the session, the controller's on every worker
    for config in (_pytest_config(RANDOM_SEED), _pytest_config(None, fuzz=True)):
        assert _seed(config, 0)["seed_source"] == "random" and _seed(config, 1) == _seed(config, 1)
    worker = _pytest_config(RANDOM_SEED, workerinput={RANDOM_BASE: 99})
    assert _seed(worker, 0) == {"seed": 99, "seed_source": "random"}
    assert _seed(worker, 3) == _seed(_pytest_config(99), 3) | {"seed_source": "random"}
