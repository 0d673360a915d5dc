"""A runnable, self-contained torch.func snippet that reproduces a computation.

The code is printed from the validated tree, never copied from user text, so nothing a user typed
reaches the snippet except names that already passed the identifier check — and those are made
hygienic: every name the snippet itself uses (modules, helpers, their arguments, loop variables,
the builtins it calls, keywords) is read off the generated code, and user names that would
collide with one of them, or with each other after renaming, get trailing underscores.

Large point sets are not written into the code: the snippet reads them from a CSV file
(``points_csv`` writes exactly the file it expects), so the code stays a few KB.
"""

from __future__ import annotations

import io
import keyword
import tokenize
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from compute.language.derivatives import partial_label
from compute.language.expression import Expression
from compute.language.grid import AxisSpec, Grid, Points
from compute.language.tree import Num, Ref, Symbol, walk
from compute.views.torch_printer import TorchPrinter, helper_code, number_code

SNIPPET_BUDGET = 32_000  # characters: longer code is offered as a download, not drawn on the page
INLINE_POINTS = 200  # scattered points written into the code; more are read from POINTS_FILE
INLINE_VALUES = 400  # ... and at most this many numbers in all (rows × columns)
POINTS_FILE = "points.csv"
DTYPES = ("float64", "float32")


def _axis_code(name: str, values: np.ndarray, spec: AxisSpec | None, f64: str) -> list[str]:
    """One axis as code; specs of more than 12 values stay formulas (the same as AxisSpec.values,
    so they agree bit for bit), explicit lists stay lists (a typed spec is at most 500 characters,
    so at most 250 values)."""
    if spec is not None and spec.kind == "arange" and spec.size > 12:
        a, _, step = spec.args
        return [f"{name} = {number_code(a)} + {number_code(step)} * torch.arange({spec.size}{f64})"]
    if spec is not None and spec.kind in ("linspace", "logspace") and spec.size > 12:
        a, b, n = spec.args
        first, last = number_code(a), number_code(b)
        lines = [f"{name} = {first} + ({last} - {first}) * torch.arange({int(n)}{f64}) / {int(n) - 1}",
                 f"{name}[-1] = {last}"]
        if spec.kind == "logspace":  # numpy's and torch's pow may differ in the last bit
            lines.append(f"{name} = 10.0**{name}")
        return lines
    return [f"{name} = torch.tensor([{', '.join(number_code(v) for v in values)}]{f64})"]


def reads_points_file(domain: Grid | Points) -> bool:
    """Whether torch_snippet reads this domain's points from a CSV file instead of listing them."""
    return isinstance(domain, Points) and (
        domain.size > INLINE_POINTS or domain.size * len(domain.names) > INLINE_VALUES)


def points_csv(domain: Points) -> str:
    """The CSV torch_snippet reads when the points are too many to list: a header of the variable
    names, then one row per point, every value written so that float() reads it back exactly."""
    out = io.StringIO()
    out.write(",".join(domain.names) + "\n")
    columns = [values.tolist() for _, values in domain.columns]
    out.writelines(",".join(map(repr, row)) + "\n" for row in zip(*columns, strict=True))
    return out.getvalue()


def too_long_to_show(text: str, budget: int = SNIPPET_BUDGET) -> str | None:
    """Why a text block is not drawn on the page (None when it fits the budget)."""
    if len(text) <= budget:
        return None
    return (f"The code is {len(text) / 1000:,.0f} KB — too long to show here "
            f"(the page shows up to {budget / 1000:,.0f} KB); download it instead.")


def torch_snippet(
    expression: Expression,
    domain: Grid | Points,
    params: Mapping[str, float],
    partials: Sequence[tuple[str, ...]],
    axis_specs: Mapping[str, AxisSpec] | None = None,
    *,
    dtype: str = "float64",
    points_file: str = POINTS_FILE,
) -> str:
    """Python source that recomputes f and each partial with torch.func in ``dtype`` and prints
    them. Points beyond INLINE_POINTS are read from ``points_file`` (written by ``points_csv``)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    user = _user_names(expression, domain, params)
    # Draft with placeholders no template name can equal (user names never start with "_"):
    # every other name in the draft is one the snippet itself uses.
    placeholders = {name: f"__user{i}__" for i, name in enumerate(user)}
    draft = _source(expression, domain, params, partials, axis_specs, dtype, points_file, placeholders)
    taken = _identifiers(draft) - set(placeholders.values())
    names = hygienic_names(user, taken | set(keyword.kwlist))
    return _source(expression, domain, params, partials, axis_specs, dtype, points_file, names)


def hygienic_names(names: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Each name unchanged unless it is taken; a taken one gets the fewest trailing underscores
    that make it equal to no taken name, no other given name and no other renamed one — so the
    renaming is deterministic and injective."""
    names = sorted(set(names))
    used = set(taken) | set(names)
    renamed: dict[str, str] = {}
    for name in names:
        if name not in taken:
            renamed[name] = name
            continue
        candidate = f"{name}_"
        while candidate in used:
            candidate += "_"
        used.add(candidate)
        renamed[name] = candidate
    return renamed


def _user_names(expression: Expression, domain: Grid | Points, params: Mapping[str, float]) -> list[str]:
    names = dict.fromkeys([*domain.names, *params, *(n for n, _ in expression.folded_definitions)])
    for _, node in (*expression.folded_definitions, *expression.folded_outputs):
        names.update(dict.fromkeys(n.name for n in walk(node) if isinstance(n, (Symbol, Ref))))
    return list(names)


def _identifiers(source: str) -> set[str]:
    """Every name token of ``source`` that can refer to a variable (attribute names cannot)."""
    found: set[str] = set()
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and not (previous is not None and previous.string == "."):
            found.add(token.string)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT,
                              tokenize.DEDENT):
            previous = token
    return found


def _source(
    expression: Expression,
    domain: Grid | Points,
    params: Mapping[str, float],
    partials: Sequence[tuple[str, ...]],
    axis_specs: Mapping[str, AxisSpec] | None,
    dtype: str,
    points_file: str,
    names: Mapping[str, str],
) -> str:
    printer = TorchPrinter(names, dict(expression.folded_definitions))
    domain_names = list(domain.names)
    args = domain_names + [p for p in params if p not in domain_names]
    lines_fn = [f"    {names[name]} = {printer.code(node)}" for name, node in expression.folded_definitions]
    bodies = {}
    for out_name, node in expression.folded_outputs:
        body = printer.code(node)
        if isinstance(node, Num):  # a constant still needs one value per point
            body = f"torch.as_tensor({body}) + 0.0 * {names[args[0]]}"
        bodies[out_name] = body
    functions = {o: f"f_{o}" if expression.is_vector else "f" for o in bodies}
    signature = ", ".join(names[a] for a in args)
    f64 = ", dtype=torch.float64" if dtype != "float64" else ""

    code: list[str] = helper_code(printer)
    for output, body in bodies.items():
        code += [f"def {functions[output]}({signature}):", *lines_fn, f"    return {body}", "", ""]
    code[-1:] = []
    reads_file = reads_points_file(domain)
    if isinstance(domain, Grid):
        code.append("# grid axes (the first varies slowest)" + (", built in float64" if f64 else ""))
        for name, values in domain.axes:
            code += _axis_code(names[name], values, (axis_specs or {}).get(name), f64)
        axes = ", ".join(names[n] for n in domain_names)
        code.append(f"points = torch.meshgrid({axes}, indexing=\"ij\")")
        code.append("shape = points[0].shape")
        code.append("points = [axis.flatten() for axis in points]")
    elif reads_file:
        header = ",".join(domain_names)
        code += [
            f"# {domain.size:,} scattered points, read from {points_file}: save your points there",
            f"# (a header row {header}, then one row per point; the page's button gives this file)",
            f"with open({points_file!r}, newline=\"\", encoding=\"utf-8-sig\") as csv_file:",
            "    csv_rows = csv.reader(csv_file)",
            "    csv_header = [column.strip() for column in next(csv_rows)]",
            "    csv_table = torch.tensor([[float(cell) for cell in row] for row in csv_rows "
            f"if \"\".join(row).strip()]{f64})",
        ]
        code += [f"{names[n]} = csv_table[:, csv_header.index({n!r})]" for n in domain_names]
        code.append(f"points = [{', '.join(names[n] for n in domain_names)}]")
        code.append("shape = points[0].shape")
    else:
        code.append("# scattered points, one tensor per variable")
        for name, values in domain.columns:
            code += _axis_code(names[name], values, None, f64)
        code.append(f"points = [{', '.join(names[n] for n in domain_names)}]")
        code.append("shape = points[0].shape")
    if f64:
        code.append(f"points = [axis.to(torch.{dtype}) for axis in points]  # the view's dtype")
    for name in args[len(domain_names):]:
        value = number_code(params[name])
        code.append(f"points.append(torch.full_like(points[0], {value}))  # parameter {name}")
    code.append("")
    for output in bodies:
        fn = functions[output]
        code.append(f"print({output!r}, vmap({fn})(*points).reshape(shape).tolist())")
        for wrt in partials:
            derivative = fn
            for name in reversed(wrt):
                derivative = f"grad({derivative}, argnums={args.index(name)})"
            label = partial_label(output, wrt, ascii_only=True)
            code.append(f"print({label!r}, vmap({derivative})(*points).reshape(shape).tolist())")

    body_text = "\n".join(code)
    head = [f"# Reproduces Partials' numbers with torch.func in {dtype}: vmap over points of nested grad."]
    derivatives = [names[n] for n, _ in expression.folded_definitions
                   if n.startswith("_") and not n[2:].isdigit()]
    if derivatives:  # diff(...) expanded by the parser (compute/language/derivative_forms.py)
        head.append(f"# diff(...) written out, exactly: {', '.join(derivatives[:6])}"
                    + (", ..." if len(derivatives) > 6 else "") + " (_s1, _s2, ...: shared parts)")
    if reads_file:
        head.append("import csv")
    if "math." in body_text:
        head.append("import math")
    head += ["", "import torch", "from torch.func import grad, vmap", "",
             f"torch.set_default_dtype(torch.{dtype})", ""]
    return "\n".join(head) + "\n" + body_text + "\n"
