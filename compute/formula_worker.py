"""Worker process for LaTeX formulas (see :mod:`compute.workers`): ``(text, keys)`` in, one
LaTeX string or None per key out. Run by :mod:`compute.symbolic`, which kills it when SymPy
takes too long."""

from compute.workers import serve


def _prepare() -> None:
    import sympy  # noqa: F401 - imported before the memory cap and the first request


def _handle(message: object) -> list[str | None] | None:
    from compute.symbolic import formulas_in_process

    try:
        text, keys = message
        keys = [(str(output), tuple(str(n) for n in wrt)) for output, wrt in keys]
        answers = formulas_in_process(str(text), keys)
        return [answers[key] for key in keys]
    except Exception:  # noqa: BLE001 - answer with nothing rather than die
        return None


if __name__ == "__main__":
    serve(_handle, _prepare)
