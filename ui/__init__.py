"""Streamlit glue shared by pages: cached engine calls and input widgets."""
