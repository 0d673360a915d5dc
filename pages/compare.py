"""Compare: two parameter sets or two functions over the same grid, and their difference."""

from ui.compare import render
from ui.navigation import through_app

through_app()
render()
