"""Explorer: type a function and grids, read every partial at every grid point."""

from ui.explorer import render
from ui.navigation import through_app

through_app()
render()
