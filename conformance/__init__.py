"""Contract checks for the AWS Amplify Admin UI (AmplifyBackend) REST API, against any implementation.

The library is the product: `run(RunOptions(...))` returns a RunResult whose `to_dict()` is
report.json. The CLI and the pytest entry are thin shells over it.
"""

from ._checks import CHECKS, LEVELS
from ._results import RunResult
from ._runner import RunOptions, run
from ._target import SigV4Target, Target, TargetUnreachable

__all__ = [
    "CHECKS",
    "LEVELS",
    "RunOptions",
    "RunResult",
    "SigV4Target",
    "Target",
    "TargetUnreachable",
    "run",
]
