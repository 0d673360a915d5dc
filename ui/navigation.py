"""Deep links to a page must go through app.py's navigation.

Streamlit treats a ``pages/`` folder next to the entry script as a v1 multipage app until some
run calls ``st.navigation``. A fresh server whose first request is a deep link (``/compare?…``)
would therefore run that page file on its own, without app.py's page setup and navigation. Each
page calls :func:`through_app` first: it switches off the v1 mode and reruns, so app.py handles
the request like any other.

No public API does this (Streamlit 1.67: the mode follows from the folder's existence, and only
``st.navigation`` clears it), so this reads Streamlit's internal class flag — defensively: if the
class or the flag moves, this does nothing rather than fail, and
``tests/test_navigation_browser.py`` (a cold server's first request is a deep link) shows it.
"""

from __future__ import annotations

import streamlit as st


def through_app() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # moved in a later Streamlit: nothing to switch off (the browser test says)
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()
