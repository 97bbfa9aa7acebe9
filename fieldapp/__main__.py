"""``python -m fieldapp``: the office command line of the core alone (no window, no Qt).

The desktop window starts from the ``fieldapp`` console script or ``python -m fieldapp.ui.entry``.
"""

import sys

from fieldapp import logs
from fieldapp.cli import main

logs.setup_from_argv(None)
sys.exit(main())
