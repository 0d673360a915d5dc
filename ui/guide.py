"""The Guide: the original question answered with live computations, then the reference."""

from __future__ import annotations

import streamlit as st

from compute import pitfalls
from compute.language.vocabulary import FUNCTIONS

from .results import format_number
from .syntax import DERIVATIVE_HELP, FUNCTION_HELP, GRID_HELP

LINK_KEYS_HELP = """
**Share-link keys** `v` (the version, 1) · `f` (the function as typed) · `var.NAME` (grid spec) ·
`param.NAME` (a parameter's value) · `range.NAME` (its slider range "low, high") · `mode`
(`points`) · `pts.NAME` (a column of points) · `wrt` (repeated: derivative specs) · `dtype` ·
`plot` (the plot kind) · `show` (the plotted quantity) · `axes` (the plotted variables) · `at.NAME`
(a slice position) · `digits` (in tables) · `anim` ("NAME, FROM, TO, FRAMES": a playing
animation) · `view` (the results tab: `tables`, `plot` or `code`) · `inspect.NAME=VALUE` (a
coordinate of the inspected point, while *Inspect a point* is open). The Compare page uses `v`,
`fa`, `fb`, `var.NAME`, `pa.NAME`, `pb.NAME`, `wrt`, `show` and `view` (`a`, `b` or `diff`).
A link fills the same inputs as typing and is checked the same way."""


def _matrix(values) -> str:
    if values.ndim == 1:
        return "[" + ", ".join(format_number(float(v), 6) for v in values) + "]"
    return "[" + ", ".join(_matrix(row) for row in values) + "]"


def render() -> None:
    st.title("Guide")
    st.markdown("""
**The question.** `f(t, k) = t*k + 2*t*k**2` on `t = 1, 2` and `k = 2, 3`. We want ∂f/∂k at
*every* grid point — a matrix shaped like the grid.""")

    st.header("1. Why `torch.autograd.grad` gives [27, 39]")
    seed = "t*k + 2*t*k**2"
    summed = pitfalls.summed_backward(seed, ("t", "k"), [1, 2], [2, 3])
    exact = pitfalls.exact(seed, ("t", "k"), [1, 2], [2, 3])
    st.code("gamma = T*K + 2*T*K**2\ntorch.autograd.grad(gamma, k, grad_outputs=torch.ones_like(gamma))",
            language="python", wrap_lines=True)
    st.markdown(f"""
Computed just now: **{_matrix(summed)}**. Backward computes a vector–Jacobian product: with
`grad_outputs` all ones it returns Σᵢ ∂f(tᵢ, kⱼ)/∂kⱼ — the per-point derivatives
**{_matrix(exact)}** summed down each column ({" and ".join(
        " + ".join(format_number(float(v)) for v in exact[:, j]) + f" = {format_number(float(summed[j]))}"
        for j in range(exact.shape[1]))}).""")

    st.header("2. Why the N×N Jacobian with `jac > 0` is wrong — and huge")
    t_vals = k_vals = [-1.0, 0.0, 1.0]
    kept = pitfalls.jacobian_filter("sin(t*k)", ("t", "k"), t_vals, k_vals)
    right = pitfalls.exact("sin(t*k)", ("t", "k"), t_vals, k_vals)
    st.markdown(f"""
The popular answer builds `torch.autograd.functional.jacobian(f, (T, K))` — every output against
every input — then keeps `jac[jac > 0]`, hoping that is the diagonal. Try `f = sin(t*k)` on
`t = k = −1, 0, 1` (computed just now):

* ∂f/∂k at the 9 grid points: **{_matrix(right)}**
* what survives `jac > 0`: **{len(kept)} of 9 numbers**, {_matrix(kept)} — every zero and
  negative derivative is silently dropped, and the reshape that follows fails or scrambles them.
""")
    sizes = [100, 10_000, 1_000_000]
    st.table({"grid points N": [f"{n:,}" for n in sizes],
              "Jacobian memory (16·N² bytes)": [_bytes(pitfalls.jacobian_bytes(n)) for n in sizes],
              "Partials' memory per quantity (8·N bytes)": [_bytes(8 * n) for n in sizes]})

    st.header("3. What Partials does instead")
    st.markdown("""
Our functions are **pointwise**: output *i* depends only on input point *i*. So the gradient of
the *summed* output with respect to the whole batch of inputs is exactly the per-point gradient —
one backward pass, no N×N matrix, every sign kept. Higher and mixed partials nest the same step.
`torch.func` (`vmap` over nested `jacrev`) is the general engine, and tests prove both agree with
each other and with SymPy's exact derivatives to 1e-12. The *torch code* tab of the Explorer
prints a runnable `torch.func` version of any computation.""")

    st.header("Reference")
    st.markdown("**Functions**")
    st.table({"function": [f"{f.name}()" for f in FUNCTIONS.values()],
              "arguments": [f.arity_text() for f in FUNCTIONS.values()],
              "meaning": [f.summary for f in FUNCTIONS.values()]}, hide_index=True)
    st.markdown(FUNCTION_HELP)
    st.markdown(GRID_HELP)
    st.markdown(DERIVATIVE_HELP)
    st.markdown(LINK_KEYS_HELP + "\n\n**Command line**")
    st.code('python -m compute "t*k + 2*t*k**2" --var t=1,2,4 --var k=2,3 --wrt k --format table\n'
            'python -m compute "f(t, k) = t*k + 2t*k^2" --var "t=1 2 4" --var k=2:1:3 --wrt "∂²f/∂t∂k"\n'
            'python -m compute EXPR --var NAME=SPEC ... [--param NAME=VALUE] [--wrt SPEC ...]\n'
            '                  [--dtype float64|float32] [--format json|csv|table|summary]',
            language="bash", wrap_lines=True)


def _bytes(n: float) -> str:
    """Decimal units to 3 significant digits: 1.6 GB, not a rounded-up "2 GB"."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000:
            return f"{float(f'{n:.3g}'):g} {unit}"
        n /= 1000
    return f"{n:,.0f} EB"
