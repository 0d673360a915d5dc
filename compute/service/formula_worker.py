"""Worker process for LaTeX formulas (see :mod:`compute.service.workers`).

In: ``(expression, keys)``, the validated Expression itself (never parsed again). Out: one LaTeX
string or None per key, and the ``(name, expression)`` LaTeX of the definitions they use.
Run by :mod:`compute.service.formulas`, which kills it when SymPy takes too long."""

from typing import Any

from compute.service.workers import serve


def _prepare() -> None:
    import sympy  # noqa: F401 - imported before the memory cap and the first request


def _handle(message: Any) -> tuple[list[str | None], list[tuple[str, str, str]]] | None:
    from compute.views.symbolic import formula_set_in_process

    try:
        expression, keys = message
        keys = [(str(output), tuple(str(n) for n in wrt)) for output, wrt in keys]
        answers = formula_set_in_process(expression, keys)
        return [answers.latex[key] for key in keys], list(answers.where)
    except Exception:  # noqa: BLE001 - answer with nothing rather than die
        return None


if __name__ == "__main__":
    serve(_handle, _prepare)
