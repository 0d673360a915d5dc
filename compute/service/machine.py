"""What the operating system says about the machine's load (Linux), for the engine's block threads.

:mod:`compute.engines.parallel` uses only the cores that nobody else is running on; it is told how
to count "somebody else" by whoever configures it (the CLI, the job workers) with
:func:`runnable_elsewhere`, so that ``/proc`` stays in this layer.
"""

from __future__ import annotations


def runnable_elsewhere() -> int:
    """Threads runnable right now besides this one, on the whole machine: the first number of
    /proc/loadavg's fourth field counts runnable threads, the reader included. 0 where the OS does
    not tell."""
    try:
        with open("/proc/loadavg") as loadavg:
            return max(0, int(loadavg.read().split()[3].split("/")[0]) - 1)
    except (OSError, ValueError, IndexError):
        return 0
