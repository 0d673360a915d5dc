"""Kernel compile worker: builds fused kernels ordered by jobs (see :mod:`compute.service.compiler`).

In: a :class:`compute.engines.fused.FuseOrder`. Out: ``"ready"`` or ``"failed: why"``. It imports
Dynamo and Inductor before capping its address space, runs at the lowest priority and with one
torch thread, so a build takes only CPU that requests leave idle.
"""

from typing import Any

from compute.service.workers import serve


def _prepare() -> None:
    import torch

    torch.set_num_threads(1)
    import torch._inductor.config  # loaded before the memory cap
    import torch.export

    import compute.engines.engine
    import compute.engines.fused_build  # noqa: F401 - its imports, before the cap


def _handle(message: Any) -> str:
    from compute.engines.fused_build import build

    try:
        return build(message)
    except Exception as exc:  # noqa: BLE001 - answer, never die: the program just stays eager
        return f"failed: {exc.__class__.__name__}"


if __name__ == "__main__":
    serve(_handle, _prepare)
