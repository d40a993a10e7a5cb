"""Contract checks for the AWS Amplify Admin UI (AmplifyBackend) REST API, against any implementation.

The library is the product: `run(RunOptions(...))` returns a RunResult whose `to_dict()` is
report.json, and `apply_deviations(result, load_deviations(path))` accepts an implementation's
known failures in it; `clean_up(LeftBehind.read(path), target)` removes what a run left behind.
`parity(ParityOptions(...))` compares two implementations (or one and a
recording made with `run(options, recorder=Recorder())` and `write_recording`) answer by answer.
The CLI and the pytest entry are thin shells over it.

Names load on first use: the pytest plugin lives in this package and pytest imports it at
start-up for every run, so importing the package must not pull in the runner or hypothesis.
"""

from importlib import import_module

_WHERE = {
    "CHECKS": "._checks",
    "DEFAULT_SEED": "._options",
    "Deviations": "._deviations",
    "DeviationsError": "._deviations",
    "LEVELS": "._checks",
    "LeftBehind": "._cleanup",
    "ParityError": "._recording",
    "ParityOptions": "._parity",
    "ParityResult": "._parity",
    "RANDOM_SEED": "._options",
    "Recorder": "._recording",
    "RunOptions": "._runner",
    "RunResult": "._results",
    "SigV4Target": "._target",
    "Target": "._target",
    "TargetUnreachable": "._target",
    "apply_deviations": "._deviations",
    "clean_up": "._cleanup",
    "load_deviations": "._deviations",
    "load_recording": "._recording",
    "parity": "._parity",
    "run": "._runner",
    "write_recording": "._recording",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
