"""pytest options for running the conformance suite (`pytest --pyargs amplify_conformance.suite`).

Loaded through the `pytest11` entry point, so it must stay cheap to import: the library is
imported only by the suite module itself.
"""

from __future__ import annotations


def pytest_addoption(parser) -> None:
    group = parser.getgroup("amplify-conformance")
    group.addoption("--base-url", default=None, help="implementation to test (stage prefix included)")
    group.addoption("--app-id", default=None, help="use an existing app instead of creating one")
    group.addoption("--conformance-level", default="all", help="schema, behaviour, aws or all")
    group.addoption("--conformance-seed", type=int, default=None, help="hypothesis seed")
