"""The tree shows the layers, and the imports keep them: a package of ``compute`` imports the
packages above it, never those below (imports only for type checking do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

COMPUTE = ROOT / "compute"
# Each package, and what it must never import. The registry's rules are trees, so it may read
# language/tree.py (and only that) from the language package.
FORBIDDEN = {
    "language": ("compute.engines", "compute.views", "compute.service", "compute.cli"),
    "registry": ("compute.language.expression", "compute.language.grid", "compute.engines",
                 "compute.views", "compute.service", "compute.cli"),
    "engines": ("compute.views", "compute.service", "compute.cli"),
    "views": ("compute.service", "compute.cli"),
    "service": ("compute.cli",),
}
NEVER_IN_COMPUTE = ("streamlit", "plotly", "ui")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Modules a file imports at run time (top level or inside functions), with line numbers;
    ``if TYPE_CHECKING:`` blocks are skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):  # relative: the layers are spelled out instead
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def _files(package: str) -> list[Path]:
    return sorted((COMPUTE / package).glob("*.py"))


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_a_layer_never_imports_the_layers_below_it(package: str) -> None:
    assert _files(package), f"compute/{package}/ is missing"
    wrong = []
    for path in _files(package):
        for line, module in _imports(path):
            if module.startswith(".") or any(module == f or module.startswith(f + ".")
                                             for f in FORBIDDEN[package]):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_core_never_imports_the_app() -> None:
    wrong = []
    for path in sorted(COMPUTE.rglob("*.py")):
        for line, module in _imports(path):
            if module.split(".")[0] in NEVER_IN_COMPUTE:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_process_management_lives_only_in_the_service_layer() -> None:
    """subprocess, resource limits and /proc belong to compute/service/ (and the CLI's own
    process settings), not to the language, the registry, the engines or the views."""
    wrong = []
    for package in ("language", "registry", "engines", "views"):
        for path in _files(package):
            text = path.read_text(encoding="utf-8")
            for needle in ("import subprocess", "import resource", "/proc/", "RLIMIT_"):
                if needle in text:
                    wrong.append(f"{path.relative_to(ROOT)} uses {needle}")
    assert not wrong, "\n".join(wrong)
