"""Everything about one point: f, the gradient, the Hessian, the Jacobian and its determinant.

The numbers come from the same exact engine as the grids, run on a one-point ``Points``
domain, so a typed point need not be a grid point (and may lie outside every grid). This module
only reads that one-point result into matrices; the determinants and eigenvalues of those
small matrices are plain float64 linear algebra.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from compute.errors import PartialsError
from compute.language.derivatives import partial_label
from compute.language.expression import Expression
from compute.language.grid import check_variable_name, make_points
from compute.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from compute.engines.engine import PartialsResult

Matrix = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Quantity:
    """One chosen partial (or Laplacian) at the point: its spec, its label and its value."""

    output: str
    spec: str  # "t,k", "laplacian": as the page or ``--wrt`` gave it
    label: str  # ∂²f/∂t∂k
    ascii_label: str  # d2f/dtdk
    value: float


@dataclass(frozen=True)
class Inspection:
    """The point's numbers. Matrices are tuples of rows; ``variables`` orders their columns."""

    variables: tuple[str, ...]
    point: tuple[float, ...]
    params: tuple[tuple[str, float], ...]
    outputs: tuple[str, ...]
    values: tuple[float, ...]  # one per output
    gradients: tuple[tuple[float, ...], ...]  # one row per output: the Jacobian when several
    hessians: tuple[Matrix, ...] | None  # one per output; None when there are too many variables
    quantities: tuple[Quantity, ...]  # the chosen partials beyond the gradient and Hessian
    expression: str = ""  # the function as typed

    @property
    def jacobian(self) -> Matrix:
        """∂(outputs)/∂(variables): a row per output, a column per variable."""
        return self.gradients

    @property
    def jacobian_determinant(self) -> float | None:
        """Only for as many outputs as variables (and more than one output)."""
        if len(self.outputs) < 2 or len(self.outputs) != len(self.variables):
            return None
        return determinant(self.gradients)

    def hessian_determinant(self, index: int = 0) -> float | None:
        return None if self.hessians is None else determinant(self.hessians[index])

    def hessian_eigenvalues(self, index: int = 0) -> tuple[float, ...] | None:
        """Ascending; None when the Hessian is missing or not finite."""
        if self.hessians is None:
            return None
        matrix = np.array(self.hessians[index], dtype=np.float64)
        if not np.all(np.isfinite(matrix)):
            return None
        with np.errstate(all="ignore"):
            return tuple(float(v) for v in np.linalg.eigvalsh(matrix))

    def value(self, output: str | None = None) -> float:
        return self.values[self._index(output)]

    def gradient(self, output: str | None = None) -> dict[str, float]:
        return dict(zip(self.variables, self.gradients[self._index(output)], strict=True))

    def hessian(self, output: str | None = None) -> Matrix | None:
        return None if self.hessians is None else self.hessians[self._index(output)]

    def quantity(self, spec: str, output: str | None = None) -> float:
        """A chosen partial by the spec it was asked for ("T", "t,k", "laplacian")."""
        name = output or self.outputs[0]
        for q in self.quantities:
            if q.output == name and q.spec.replace(" ", "") == spec.replace(" ", ""):
                return q.value
        raise KeyError(spec)

    def _index(self, output: str | None) -> int:
        return self.outputs.index(output) if output else 0


def determinant(matrix: Matrix) -> float:
    """float64 determinant: the direct formula for 1×1 and 2×2 (802·200 − 400² is 400 exactly;
    LU's pivot divisions round it), LU past that."""
    n = len(matrix)
    if n == 1:
        return float(matrix[0][0])
    if n == 2:
        (a, b), (c, d) = matrix
        return float(a * d - b * c)
    with np.errstate(all="ignore"):  # overflow is an inf, as everywhere else: reported, not raised
        return float(np.linalg.det(np.array(matrix, dtype=np.float64)))


def inspection_specs(variables: Sequence[str], chosen: Sequence[str] = (),
                     limits: Limits = DEFAULT_LIMITS) -> tuple[str, ...]:
    """The derivative specs a point's inspection asks for: the gradient, the Hessian when its
    n(n+1)/2 second partials fit the partials limit, then the chosen specs (bundles other than
    the Laplacian are already covered)."""
    n = len(variables)
    specs = ["gradient"]
    if n + n * (n + 1) // 2 <= limits.max_partials:
        specs.append("hessian")
    specs += [s for s in chosen if s.strip().lower() not in ("gradient", "hessian", "jacobian")]
    return tuple(dict.fromkeys(specs))


def point_columns(point: Mapping[str, float]) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """The point as the one-row columns of a points domain (what a job request carries)."""
    return tuple((name, (float(value),)) for name, value in point.items())


def inspect_point(expression: Expression | str, point: Mapping[str, float],
                  params: Mapping[str, float] | None = None, chosen: Sequence[str] = (), *,
                  dtype: str = "float64", method: str = "auto", device: str = "auto",
                  limits: Limits = DEFAULT_LIMITS) -> Inspection:
    """Compute everything the inspector shows at ``point`` (any finite values)."""
    from compute.engines.engine import partials_on_grid

    if not point:
        raise PartialsError("give the point: a value for each variable")
    for name in point:
        check_variable_name(name)
    domain = make_points({name: [value] for name, value in point.items()}, limits)
    result = partials_on_grid(expression, domain, list(inspection_specs(domain.names, chosen, limits)),
                              params, dtype=dtype, method=method, device=device, limits=limits)
    return read_inspection(result)


def read_inspection(result: PartialsResult) -> Inspection:
    """An ``Inspection`` from a one-point result whose requests came from ``inspection_specs``
    (the app computes that result in a worker and reads it here)."""
    domain = result.domain
    if domain.size != 1:
        raise PartialsError(f"an inspection is of one point, not {domain.size}")
    variables = domain.names
    point = tuple(float(v[0]) for v in domain.coordinates(0, 1).values())
    kinds = {r.kind for r in result.requests}

    def at(array) -> float:
        return float(np.asarray(array).reshape(-1)[0])

    values, gradients, hessians = [], [], []
    for output in result.outputs:
        values.append(at(result.value(output)))
        gradients.append(tuple(at(result.partial((v,), output)) for v in variables))
        if "hessian" in kinds:
            hessians.append(tuple(tuple(at(result.partial((a, b), output)) for b in variables)
                                  for a in variables))
    quantities = []
    for request in result.requests:
        if request.kind in ("gradient", "hessian", "jacobian"):
            continue
        for output in result.outputs:
            if request.kind == "laplacian":
                label, plain = f"∇²{output}", f"laplacian({output})"
                value = at(result.laplacian(output))
            else:
                wrt = request.components[0]
                label, plain = partial_label(output, wrt), partial_label(output, wrt, ascii_only=True)
                value = at(result.partial(wrt, output))
            quantities.append(Quantity(output, request.text, label, plain, value))
    return Inspection(variables, point, tuple(result.params.items()), tuple(result.outputs),
                      tuple(values), tuple(gradients), tuple(hessians) if "hessian" in kinds else None,
                      tuple(quantities), result.expression.text)


def tangent_specs(wrt: Sequence[str], axes: Sequence[str], limits: Limits = DEFAULT_LIMITS
                  ) -> tuple[str, ...] | None:
    """Specs of the slopes of a plotted quantity (f, or the partial ``wrt``) along the plotted
    axes: what its tangent plane needs. None past the order limit."""
    if len(wrt) + 1 > limits.max_order:
        return None
    return tuple(",".join([*wrt, axis]) for axis in axes)


def plane_patch(x0: float, y0: float, z0: float, slope_x: float, slope_y: float,
                half_x: float, half_y: float, n: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square patch of the tangent plane z = z0 + sx (x − x0) + sy (y − y0) around the point,
    as Plotly surface arrays (z rows along y)."""
    xs = np.linspace(x0 - half_x, x0 + half_x, n)
    ys = np.linspace(y0 - half_y, y0 + half_y, n)
    z = z0 + slope_x * (xs[None, :] - x0) + slope_y * (ys[:, None] - y0)
    return xs, ys, z


def is_finite(*numbers: float) -> bool:
    return all(math.isfinite(v) for v in numbers)


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON null, as the grid output writes it


def inspection_json(inspection: Inspection) -> dict:
    """The ``--at`` document. One output: ``value``, ``gradient`` ({variable: number}),
    ``hessian`` (rows), ``hessian_determinant``, ``partials`` ({spec: number}); several outputs
    key each of those by output name first, and add ``jacobian`` (rows = outputs) with its
    ``jacobian_determinant`` when square. Non-finite numbers are null."""
    def matrix(rows: Matrix | None):
        return None if rows is None else [[_number(v) for v in row] for row in rows]

    per_output = {}
    for i, output in enumerate(inspection.outputs):
        det = inspection.hessian_determinant(i)
        per_output[output] = {
            "value": _number(inspection.values[i]),
            "gradient": {n: _number(v) for n, v in inspection.gradient(output).items()},
            "hessian": matrix(inspection.hessian(output)),
            "hessian_determinant": None if det is None else _number(det),
            "partials": {q.spec: _number(q.value) for q in inspection.quantities if q.output == output},
        }
    doc: dict = {"expression": inspection.expression,
                 "point": dict(zip(inspection.variables, inspection.point, strict=True)),
                 "params": dict(inspection.params)}
    if len(inspection.outputs) == 1:
        doc.update(next(iter(per_output.values())))
        return doc
    for key in ("value", "gradient", "hessian", "hessian_determinant", "partials"):
        doc[key] = {o: fields[key] for o, fields in per_output.items()}
    doc["jacobian"] = matrix(inspection.jacobian)
    det = inspection.jacobian_determinant
    doc["jacobian_determinant"] = None if det is None else _number(det)
    return doc


def _text(value: float) -> str:
    """The shortest text that reads back as exactly this float64 (``802``, ``0.1``, ``nan``)."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def inspection_text(inspection: Inspection) -> str:
    """Readable lines for ``--at --format table``: every number in full."""
    names = inspection.variables
    where = ", ".join(f"{n} = {_text(v)}" for n, v in zip(names, inspection.point, strict=True))
    lines = [f"at {where}"]
    if inspection.params:
        lines.append("params: " + ", ".join(f"{n} = {_text(v)}" for n, v in inspection.params))
    for i, output in enumerate(inspection.outputs):
        lines.append(f"{output} = {_text(inspection.values[i])}")
        lines += [f"  {partial_label(output, (n,))} = {_text(v)}"
                  for n, v in inspection.gradient(output).items()]
        hessian = inspection.hessian(output)
        if hessian is not None:
            lines.append(f"  Hessian of {output} (rows and columns {', '.join(names)}):")
            lines += ["    [" + ", ".join(_text(v) for v in row) + "]" for row in hessian]
            lines.append(f"  det = {_text(determinant(hessian))}")
        lines += [f"  {q.label} = {_text(q.value)}" for q in inspection.quantities if q.output == output]
    if len(inspection.outputs) > 1:
        lines.append(f"Jacobian (rows {', '.join(inspection.outputs)}; columns {', '.join(names)}):")
        lines += ["  [" + ", ".join(_text(v) for v in row) + "]" for row in inspection.jacobian]
        det = inspection.jacobian_determinant
        if det is not None:
            lines.append(f"  det = {_text(det)}")
    return "\n".join(lines)


def inspection_csv(inspection: Inspection) -> str:
    """One row: the point, then each output, its first and second partials and the chosen ones
    (ASCII labels, as the grid CSV writes them)."""
    names = inspection.variables
    header = list(names)
    row = list(inspection.point)
    for i, output in enumerate(inspection.outputs):
        header.append(output)
        row.append(inspection.values[i])
        for n, v in inspection.gradient(output).items():
            header.append(partial_label(output, (n,), ascii_only=True))
            row.append(v)
        hessian = inspection.hessian(output)
        if hessian is not None:
            for a in range(len(names)):
                for b in range(a, len(names)):
                    header.append(partial_label(output, (names[a], names[b]), ascii_only=True))
                    row.append(hessian[a][b])
        for q in inspection.quantities:
            if q.output == output:
                header.append(q.ascii_label)
                row.append(q.value)
    return ",".join(header) + "\n" + ",".join(repr(float(v)) for v in row) + "\n"
