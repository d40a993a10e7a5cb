"""``python -m amplify_conformance.cli``: the same command as the installed ``amplify-conformance``."""

import sys

from ._main import main

sys.exit(main())
