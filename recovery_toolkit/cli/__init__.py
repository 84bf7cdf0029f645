"""The ``recovery-toolkit`` command.

``validate`` checks an export and explains every problem; ``report`` writes the HTML report;
``summary`` writes the tables; ``sample`` writes synthetic sample files. With no PATH, commands
use the bundled sample. A file that cannot be used at all gives one line on stderr
(``recovery-toolkit: error: <file>: <problem>; <fix>``) and exit status 2; no traceback reaches
the user. The library names parameters in its messages; this layer shows its flags instead
(:mod:`.messages`).

Examples
--------
>>> main(["validate", "--json"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import RecoveryToolkitError
from .commands import PROG
from .messages import error_message
from .parser import build_parser

__all__ = ["main", "build_parser"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except RecoveryToolkitError as exc:
        print(f"{PROG}: error: {error_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # never show a traceback to a clinic user
        if os.environ.get("RECOVERY_TOOLKIT_DEBUG"):
            raise
        print(
            f"{PROG}: error: unexpected {type(exc).__name__}: {exc}; "
            "rerun with RECOVERY_TOOLKIT_DEBUG=1 and report the output",
            file=sys.stderr,
        )
        return 3
