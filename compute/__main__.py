import sys

from compute._interrupt import exit_quietly_on_interrupt

exit_quietly_on_interrupt()  # before numpy and torch load (the package's import did it already)

from compute.cli import main  # noqa: E402

sys.exit(main())
