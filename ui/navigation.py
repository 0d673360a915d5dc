"""Deep links to a page must go through app.py's navigation.

Streamlit treats a ``pages/`` folder next to the entry script as a v1 multipage app until some
run calls ``st.navigation``. A fresh server whose first request is a deep link (``/compare?…``)
would therefore run that page file on its own, without app.py's page setup and navigation. Each
page calls :func:`through_app` first: it switches off the v1 mode and reruns, so app.py handles
the request like any other.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def through_app() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
