"""Explorer: type a function and grids, read every partial at every grid point."""

from ui.explorer import render

render()
