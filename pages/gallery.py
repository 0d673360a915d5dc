"""Gallery: worked examples, each one click into the Explorer."""

from ui.gallery import render
from ui.navigation import through_app

through_app()
render("pages/explorer.py")
