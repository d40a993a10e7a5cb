"""pytest options for running the conformance suite (`pytest --pyargs amplify_conformance.suite`).

Loaded through the `pytest11` entry point, so it must stay cheap to import: the library is
imported only by the suite module itself, and the deviations module only when a file is given.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

import pytest

#: The user property through which each item (on any xdist worker) reports what the deviations file did.
DEVIATIONS_PROPERTY = "amplify_conformance_deviations"
DEVIATIONS = pytest.StashKey[Any]()
#: The user property through which each item sends its partial result to the controller, to merge into one report.
RESULT_PROPERTY = "amplify_conformance_result"
#: The session's random seed (--conformance-seed random, or a campaign given none), drawn once by the
#: controller and handed to every xdist worker, so that the shards' seeds derive from one seed.
RANDOM_BASE = "amplify_conformance_random_seed"
_RANDOM_BASE = pytest.StashKey[int]()


def _seed_option(value: str) -> int | str:
    from amplify_conformance._options import parse_seed  # here: loading this module stays cheap

    try:
        return parse_seed(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def random_base(config) -> int:
    """The session's one random seed: the controller's (handed to workers), drawn on first use."""
    worker = getattr(config, "workerinput", None)
    if worker and RANDOM_BASE in worker:
        return worker[RANDOM_BASE]
    if _RANDOM_BASE not in config.stash:
        config.stash[_RANDOM_BASE] = random.randrange(2**32)
    return config.stash[_RANDOM_BASE]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist: every worker derives its items' seeds from the controller's random seed."""
    node.workerinput[RANDOM_BASE] = random_base(node.config)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("amplify-conformance")
    group.addoption("--base-url", default=None, help="implementation to test (stage prefix included)")
    group.addoption("--app-id", default=None, help="use an existing app instead of creating one")
    group.addoption("--conformance-level", default="all", help="schema, behaviour, aws or all")
    group.addoption(
        "--conformance-seed",
        type=_seed_option,
        default=None,
        metavar="N|random",
        help="seed of everything generated; the shards' seeds derive from it (default: a fixed seed, so a run "
        "is reproducible; with --conformance-fuzz, random); random: a fresh one, named in each item's report",
    )
    group.addoption(
        "--conformance-accept",
        default=None,
        metavar="FILE",
        help="deviations file: the failures it names are xfail with their reason",
    )
    # --- fuzzing campaigns spread over xdist workers
    group.addoption("--conformance-fuzz", action="store_true", help="long fuzzing: more examples, hostile inputs")
    group.addoption(
        "--conformance-duration",
        default=None,
        metavar="90s|30m|2h",
        help="with --conformance-fuzz: the campaign's length; each item fuzzes for its share "
        "(duration x workers / items)",
    )
    group.addoption(
        "--conformance-rounds",
        type=int,
        default=None,
        metavar="N",
        help="with --conformance-fuzz: each item fuzzes N rounds (each with a fresh seed), the same examples on "
        "any machine; with --conformance-duration, whichever ends first",
    )
    group.addoption(
        "--conformance-shards",
        type=int,
        default=1,
        metavar="N",
        help="items per operation, each with its own seed (operation x shard)",
    )
    group.addoption(
        "--conformance-report",
        default=None,
        metavar="DIR",
        help="merge every item's result (on any worker) into one report.json, junit.xml, report.md, report.html",
    )


def pytest_configure(config) -> None:
    shards = config.getoption("--conformance-shards", 1)
    if shards is not None and shards < 1:
        raise pytest.UsageError(f"--conformance-shards must be at least 1, not {shards}")
    duration = config.getoption("--conformance-duration", None)
    if duration is not None:
        from amplify_conformance.cli._values import duration as _duration

        try:
            _duration(duration)
        except Exception as exc:
            raise pytest.UsageError(f"--conformance-duration: {exc}") from None
        if not config.getoption("--conformance-fuzz"):
            raise pytest.UsageError("--conformance-duration needs --conformance-fuzz")
    rounds = config.getoption("--conformance-rounds", None)
    if rounds is not None:
        if rounds < 1:
            raise pytest.UsageError(f"--conformance-rounds must be at least 1, not {rounds}")
        if not config.getoption("--conformance-fuzz"):
            raise pytest.UsageError("--conformance-rounds needs --conformance-fuzz")
    report_dir = config.getoption("--conformance-report", None)
    if report_dir and not hasattr(config, "workerinput"):  # the controller (or a run without xdist) merges
        config.pluginmanager.register(_ReportMerger(report_dir), "amplify-conformance-report")
    path = config.getoption("--conformance-accept", None)
    if not path:
        return
    from amplify_conformance._deviations import DeviationsError, load_deviations

    try:  # before any item runs: a bad file is a usage error naming the file and line
        config.stash[DEVIATIONS] = load_deviations(path)
    except DeviationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(_DeviationsSummary(), "amplify-conformance-deviations")


class _DeviationsSummary:
    """Gathers what each item's run did with the file, names stale and expired entries at the end,
    and fails the session on an expired one (as `run` exits 1 on it)."""

    def __init__(self) -> None:
        self.sections: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            self.sections += [value for name, value in report.user_properties if name == DEVIATIONS_PROPERTY]

    def pytest_sessionfinish(self, session) -> None:
        from amplify_conformance._deviations import merge_sections

        section = merge_sections(self.sections)
        if section is not None and section["expired"] and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        from amplify_conformance._deviations import entry_notes, merge_sections

        section = merge_sections(self.sections)
        if section is None:
            return
        terminalreporter.section("amplify-conformance deviations")
        terminalreporter.line(
            f"{section['file']}: {section['accepted']} failing checks accepted; entries {section['applied']} applied, "
            f"{section['stale']} stale, {section['expired']} expired, {section['not-run']} not run"
        )
        for note in entry_notes(section):
            terminalreporter.line(note)


class _ReportMerger:
    """Gathers each item's partial result (sent from any worker with its report) and writes one
    merged report in every format when the session ends."""

    def __init__(self, report_dir: str) -> None:
        self.report_dir = report_dir
        self.parts: list[dict[str, Any]] = []
        self.written: str | None = None

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            self.parts += [value for name, value in report.user_properties if name == RESULT_PROPERTY]

    def pytest_sessionfinish(self, session) -> None:
        if not self.parts:
            return
        from amplify_conformance._merge import merge_results
        from amplify_conformance._reporting import write_reports

        paths = write_reports(merge_results(self.parts), self.report_dir)
        self.written = str(paths["json"])

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.written:
            terminalreporter.line(f"amplify-conformance: {len(self.parts)} partial results merged into {self.written}")
