"""The Syntax reference: every form the inputs accept, each with an example (shown in the
Explorer's popover and on the Guide). Lists of names come from the registry, never retyped."""

from __future__ import annotations

from compute.language.axes import STEP_RULE
from compute.language.derivatives import BUNDLES
from compute.registry.functions import ALIASES, FUNCTIONS, PASTED_CONSTANTS


def _aliases() -> str:
    by_function: dict[str, list[str]] = {}
    for alias, name in ALIASES.items():
        by_function.setdefault(name, []).append(f"`{alias}`")
    return " · ".join(f"{' '.join(names)} → `{name}`" for name, names in by_function.items())


FUNCTION_HELP = f"""
**Arithmetic** `+ - * /`, powers `**` or `^`, parentheses, numbers like `2`, `0.5`, `1e-3`.
**Functions** {", ".join(f"`{n}`" for n in FUNCTIONS if n != "where")}; `where(x > 0, a, b)` with
`< <= > >=`. **Constants** `pi`, `e` (also {", ".join(f"`{c}`" for c in PASTED_CONSTANTS if c.endswith("pi"))}
and the same for `e`).
**Several lines** (newline or `;`): `name = expression` defines an intermediate; the last line is
the output (`C = …` names it C; `u, v` makes a vector-valued function).

**Declare the variables** (fixes their order — the grid's axes — and the output's name):
`f(t, k) = t*k + 2*t*k^2` as the last line · a pasted Python function
`def f(t, k):` with `name = expression` lines and one `return` (`return u, v` is vector-valued;
type hints and a docstring are skipped) · `lambda t, k: t*k + 2*t*k**2`. Declared variables start
as grids, other names as values.

**Calculator notation** `2t` · `2pi` · `3(x+1)` · `(a+b)(a-b)` · `2 sin(x)`: a number, or a closing
parenthesis, followed by a name or `(` multiplies. Names are never split: `tk` is one name (the app
asks "did you mean t*k?"), so `sigma` stays sigma. `t(k+1)` is a call, not a product.

**Other names for functions** {_aliases()} · `pow(a, b)` → `a**b` · `square(x)` → `x**2` ·
`log(x, b)` → `log(x)/log(b)`. `N(…)` is the normal CDF only while `N` is not also a name of yours:
with a variable or definition called N, `N(…)` is an error asking for `normcdf(…)` or `N*(…)`.

**Pasted code** `torch.`, `np.`/`numpy.`, `math.`, `torch.special.`, `scipy.special.`,
`torch.nn.functional.`/`F.` and `norm.` (SciPy's) names of the functions above: `torch.sin(x)`,
`np.exp(x)`, `torch.pow(a, b)`, `torch.special.ndtr(d1)` (normcdf), `torch.special.expit(x)`
(sigmoid), `norm.cdf(d1)`. Anything else (`torch.load`, method calls such as `x.exp()`) is an
error saying so. Nothing you type is ever run: it is read, checked and rebuilt.

Whatever form you use, the app shows it back in the plain form ("Read as: …").
"""

GRID_HELP = f"""
**Grids** `1, 2, 4` · `[1, 2, 4]` · `1 2 4` (spaces; each value one piece, `2*pi` not `2 * pi`) ·
`linspace(0, 1, 50)` · `arange(0, 1, 0.1)` · `arange(5)` · `logspace(-2, 2, 9)` · `0:0.1:1` ·
one value such as `2*pi`; bounds may be constant expressions (`0:pi/4:2pi`). `np.`/`torch.` before
linspace/arange/logspace and their keywords (`num=`, `steps=`, `step=`) are understood. A leading
`t = ` is allowed in t's box (another name there is an error). **start:step:stop**: {STEP_RULE}.
Python's `range(…)` is not a grid: use `arange(…)` or `start:step:stop`.
"""

DERIVATIVE_HELP = f"""
**Partials** `k` (∂f/∂k) · `t,k` (∂²f/∂t∂k) · `k,k,k` (∂³f/∂k³), up to order 4. The same mixed
partial can also be written `t k` · `tk` (when only one split into your names exists) ·
`∂²f/∂t∂k` · `d2f/dtdk` (also `d^2f/dt dk`) · `f_tk` (subscripts; `f_{{tk}}`, `f_t_k`) — in the
"Higher and mixed partials" box (type it and press Enter), in links (`wrt=`) and on the command line
(`--wrt`). Bundles: {", ".join(f"`{b}`" for b in BUNDLES)}.
"""

SYNTAX_HELP = FUNCTION_HELP + GRID_HELP + DERIVATIVE_HELP
