"""One `ast.parse` at a time in this process.

CPython before 3.11.8 and 3.12.2 keeps the depth counter of AST construction in the interpreter,
not in the call: a parse that pauses (a collection running finalisers lets another thread in)
while another thread parses from a different stack depth ends with "SystemError: AST constructor
recursion depth mismatch". Hypothesis parses source as it draws (the lambdas of filters, the
constants of local modules) and a run draws in many threads at once, so without this an
operation would now and then end in error for no fault of the target.
"""

from __future__ import annotations

import ast
import functools
import threading

_LOCK = threading.RLock()  # re-entrant: a finaliser that parses while its thread parses


def serialise_ast_parse() -> None:
    """Make `ast.parse` take the lock; calling it again changes nothing."""
    parse = ast.parse
    if getattr(parse, "serialised", False):
        return

    @functools.wraps(parse)
    def serialised(*args, **kwargs):
        with _LOCK:
            return parse(*args, **kwargs)

    serialised.serialised = True  # type: ignore[attr-defined]
    ast.parse = serialised
