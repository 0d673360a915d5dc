"""Entry point: page setup, styles and navigation only."""

import streamlit as st

from ui import style

st.set_page_config(page_title="Partials", page_icon="∂", layout="wide")
style.apply()
# Navigation in the top bar: a sidebar would take ~300 of 1440 px from the inputs for four links.
page = st.navigation([
    st.Page("pages/explorer.py", title="Explorer", icon=":material/functions:", default=True),
    st.Page("pages/gallery.py", title="Gallery", icon=":material/collections_bookmark:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/guide.py", title="Guide", icon=":material/menu_book:"),
], position="top")
page.run()
