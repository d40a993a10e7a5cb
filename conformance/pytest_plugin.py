"""pytest options for running the conformance suite (`pytest --pyargs amplify_conformance.suite`).

Loaded through the `pytest11` entry point, so it must stay cheap to import: the library is
imported only by the suite module itself, and the deviations module only when a file is given.
"""

from __future__ import annotations

from typing import Any

import pytest

#: The user property through which each item (on any xdist worker) reports what the deviations file did.
DEVIATIONS_PROPERTY = "amplify_conformance_deviations"
DEVIATIONS = pytest.StashKey[Any]()


def pytest_addoption(parser) -> None:
    group = parser.getgroup("amplify-conformance")
    group.addoption("--base-url", default=None, help="implementation to test (stage prefix included)")
    group.addoption("--app-id", default=None, help="use an existing app instead of creating one")
    group.addoption("--conformance-level", default="all", help="schema, behaviour, aws or all")
    group.addoption("--conformance-seed", type=int, default=None, help="hypothesis seed")
    group.addoption(
        "--conformance-accept",
        default=None,
        metavar="FILE",
        help="deviations file: the failures it names are xfail with their reason",
    )


def pytest_configure(config) -> None:
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
    """Gathers what each item's run did with the file, and names stale entries at the end."""

    def __init__(self) -> None:
        self.sections: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            self.sections += [value for name, value in report.user_properties if name == DEVIATIONS_PROPERTY]

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
