"""A reference emulator of the AmplifyBackend API: stateful, in memory, served over HTTP,
with deliberate faults that let the suite prove its checks catch them, and quirks (conformant
variations) that let it prove no check fails an implementation that chose differently."""

from ._app import EmulatorApp
from ._config import EmulatorConfig
from ._faults import FAULTS, Fault
from ._quirks import Quirk, combinations, compatible_set, quirks
from ._server import Emulator, serve

__all__ = [
    "FAULTS",
    "Emulator",
    "EmulatorApp",
    "EmulatorConfig",
    "Fault",
    "Quirk",
    "combinations",
    "compatible_set",
    "quirks",
    "serve",
]
