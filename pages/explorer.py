"""Explorer: type a function and grids, read every partial at every grid point."""

import streamlit as st

from compute import PartialsError, parse_expression
from compute.tables import result_columns, tidy_table, wide_table
from ui.compute_cache import APP_LIMITS, compute_on_grid

SEED = {"f": "t*k + 2*t*k**2", "t": "1, 2, 4", "k": "2, 3"}

st.title("∂ Partials")
st.caption("Type a function of several variables and give each variable a grid: every partial "
           "derivative you ask for, exactly, at every grid point.")

text = st.text_area("Function", SEED["f"], height=80,
                    help="Python-style arithmetic, ^ or ** for powers, sin, exp, log, sqrt, "
                         "where(x > 0, a, b)…; several lines with name = expression")
try:
    expression = parse_expression(text, APP_LIMITS)
except PartialsError as exc:
    st.error(f"Function: {exc.describe()}")
    st.stop()

variables: list[tuple[str, str]] = []
columns = st.columns(max(1, len(expression.free_names)))
for column, name in zip(columns, expression.free_names, strict=False):
    default = SEED.get(name, "linspace(0, 1, 5)")
    variables.append((name, column.text_input(f"Grid for {name}", default, key=f"var.{name}")))
wrt = st.multiselect("Partials", expression.free_names, default=list(expression.free_names))

try:
    result = compute_on_grid(text, tuple(variables), (), tuple(wrt))
except PartialsError as exc:
    st.error(exc.describe())
    st.stop()

for column in result_columns(result):
    st.subheader(column.label)
    if len(result.domain.names) == 2:
        st.table(wide_table(result, column))
    else:
        st.table(tidy_table(result).head(200))
