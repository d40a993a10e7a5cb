"""How the project's own tests are scheduled on ``-n auto``: two workers a core, since a test
against the emulator waits (on its sockets, settle bounds and backoff) about as long as it
computes; and the long runs against the emulator first, so that the workers end together instead
of one finishing a long run alone while the others idle."""

from __future__ import annotations

import os

WORKERS_PER_CORE = 2


def pytest_xdist_auto_num_workers(config) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return WORKERS_PER_CORE * cores


def pytest_collection_modifyitems(items) -> None:
    # stable: within each group the tests keep the order they were collected in
    items.sort(key=lambda item: item.get_closest_marker("quality") is None)
