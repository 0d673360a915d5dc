"""A cold server's very first request is a deep link: it must go through app.py.

With a ``pages/`` folder next to app.py, Streamlit runs a page file on its own (v1 multipage
mode) until some run has called ``st.navigation``; ``ui.navigation.through_app`` switches that
off. Every other browser test shares a server that has already been through app.py, so each
link here gets a fresh server and is its first request. The page path (/compare) is the one that
needs ``through_app`` (without it the page runs bare, with no top navigation); the root link runs
app.py as v1's main page, whose ``st.navigation`` call ends v1 mode, and is kept as a guard."""

from __future__ import annotations

import pytest

from browser import serve_app, wait_idle

pytestmark = pytest.mark.browser
PAGES = ["Explorer", "Gallery", "Compare", "Guide"]


@pytest.mark.parametrize(("path", "log_name"), [
    ("/?f=x*y&var.x=1,2&var.y=3&wrt=x", "streamlit-cold-explorer.log"),
    ("/compare", "streamlit-cold-compare.log"),
])
def test_a_cold_servers_first_request_goes_through_app_navigation(page, path, log_name) -> None:
    server = serve_app(log_name)
    url = next(server)
    try:
        page.goto(url + path)
        wait_idle(page)
        page.locator("[data-testid='stTable']").first.wait_for(timeout=60_000)
        wait_idle(page)
        nav = page.locator("[data-testid='stTopNav']")
        assert nav.count() == 1, "no app navigation: the page file ran on its own"
        links = nav.locator("[data-testid='stTopNavLink']").all_inner_texts()
        assert [text.split()[-1] for text in links] == PAGES  # after each link's icon name
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        assert not page.locator("[data-testid='stException']").count()
    finally:
        next(server, None)  # stops the server
