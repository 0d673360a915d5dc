"""``python -m compute``: the command line (PRODUCT.md).

``command.py`` is the contract (arguments, checks in order, exit codes: ``main``, ``run``);
``inputs.py`` reads the arguments' values; ``point.py`` is the ``--at`` path; ``output.py``
writes a result as JSON, CSV, a table or a summary, block by block.
"""

from compute.cli.command import main, run

__all__ = ["main", "run"]
