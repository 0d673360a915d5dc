"""Compute worker: requests in on stdin, answers out on stdout (see :mod:`compute.service.workers`).

Started by :mod:`compute.service.jobs`. It loads torch and fixes its thread count before capping its
address space, so that a job asking for too much memory fails here, not in the server.
"""

import os
from typing import Any

from compute.service.workers import serve


def _prepare() -> None:
    import torch

    from compute.engines.parallel import configure, warm
    from compute.service.machine import runnable_elsewhere

    # One torch intra-op thread; PARTIALS_WORKER_THREADS block threads (see compute.engines.parallel),
    # started before the memory cap like everything else the worker needs.
    configure(int(os.environ.get("PARTIALS_WORKER_THREADS", "1")), runnable_elsewhere)
    warm()
    import compute.engines.engine  # noqa: F401 - load torch's operators before the cap and the first job

    if torch.cuda.is_available():
        # The CUDA context maps tens of GB of address space: create it before the cap, which
        # counts from what is mapped now, so the cap limits the job and not the driver.
        torch.zeros(1, device="cuda")


def _handle(message: Any) -> tuple[str, object]:
    from compute.errors import PartialsError, ResourceLimitError
    from compute.service.jobs import run_request

    request, limits = message
    try:
        return ("ok", run_request(request, limits))
    except ResourceLimitError as exc:
        return ("limit", exc.describe())
    except PartialsError as exc:
        return ("error", exc.describe())
    except (MemoryError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and "memory" not in str(exc).lower():
            return ("error", "the computation failed")
        return ("limit", "the job needs more memory than this server allows — try a smaller grid "
                         "or fewer partials")


if __name__ == "__main__":
    serve(_handle, _prepare)
