"""Entry point: page setup and navigation only."""

import streamlit as st

st.set_page_config(page_title="Partials", page_icon="∂", layout="wide")
st.sidebar.markdown("**Partials** — exact partial derivatives of your function at every grid point.")
page = st.navigation([
    st.Page("pages/explorer.py", title="Explorer", icon=":material/functions:", default=True),
    st.Page("pages/gallery.py", title="Gallery", icon=":material/collections_bookmark:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/guide.py", title="Guide", icon=":material/menu_book:"),
])
page.run()
