"""Guide: the original question answered live, then the syntax reference."""

from ui.guide import render
from ui.navigation import through_app

through_app()
render()
