"""The ``amplify-conformance`` command: a thin shell over the library.

It parses arguments (over the settings file, if one is found), calls ``amplify_conformance.run``
(or the emulator, the report diff, or the starting deviations file), applies the deviations file
to the result and turns it into reports and an exit code: 0 every selected operation conforms
(accepted failures aside), 1 at least one does not (or the run was cut short), 2 the run could
not be made. Failures to run are one line on stderr, never a traceback.

One module per command (_run, _parity, _accept, _cleanup, _emulator, _reports), over what they share:
_shared_options (what run and parity both take, the settings file included), _values (option
values), _display (what run prints as it goes), _signals and _shell (exit codes, one-line errors).
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
