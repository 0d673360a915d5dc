"""Entry point: page setup and navigation only."""

import streamlit as st

st.set_page_config(page_title="Partials", page_icon="∂", layout="wide")
st.sidebar.markdown("**Partials** — exact partial derivatives of your function at every grid point.")
page = st.navigation([st.Page("pages/explorer.py", title="Explorer", icon="📈", default=True)])
page.run()
