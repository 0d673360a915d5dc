"""Ctrl-C on the command line: ``python -m compute`` ends with status 130 and at most the line
``error: interrupted``, whenever it comes, including while numpy and torch are imported (Python's
own KeyboardInterrupt would print a traceback from inside the import).

Importing this module installs the handler only when the process was started as
``python -m compute``; a program that imports the package keeps its own Ctrl-C.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys


def exit_quietly_on_interrupt() -> None:
    with contextlib.suppress(ValueError):  # not the main thread: leave Ctrl-C alone
        signal.signal(signal.SIGINT, _interrupted)


def _interrupted(_signum, _frame) -> None:
    try:
        os.write(2, b"error: interrupted\n")
    finally:
        os._exit(130)  # at once: no cleanup that could itself be interrupted or print


def _started_as_cli() -> bool:
    """While ``python -m compute`` finds the package, ``sys.argv[0]`` is ``-m``."""
    argv = getattr(sys, "orig_argv", [])
    named = any(a == "-m" and b == __package__ for a, b in itertools.pairwise(argv))
    return sys.argv[:1] == ["-m"] and (named or f"-m{__package__}" in argv)


if _started_as_cli():
    exit_quietly_on_interrupt()
