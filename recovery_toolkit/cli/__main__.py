"""``python -m recovery_toolkit.cli``: the same as the ``recovery-toolkit`` command."""

import sys

from . import main

sys.exit(main())
