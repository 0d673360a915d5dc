"""Compute worker: requests in on stdin, answers out on stdout (framed by :mod:`compute.wire`).

Started by :mod:`compute.jobs`. It loads torch, fixes its thread count, then caps its address
space so that a job asking for too much memory fails here, not in the server.
"""

import os
import resource
import sys

from compute.wire import decode, encode


def _cap_memory() -> None:
    cap = int(os.environ.get("PARTIALS_WORKER_MEMORY", "0"))
    if cap <= 0:
        return
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + cap
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _send(stream, message) -> None:
    for frame in encode(message):
        stream.write(frame)
    stream.flush()


def _receive(stream):
    def read(n: int) -> bytes | None:
        data = stream.read(n)
        return data if len(data) == n else None

    message = decode(read)
    if message is None:
        raise EOFError
    return message


def main() -> None:
    # Heavy jobs yield the CPU to the server's event loop and to small interactive jobs.
    os.nice(int(os.environ.get("PARTIALS_WORKER_NICE", "10")))
    import torch

    torch.set_num_threads(int(os.environ.get("PARTIALS_WORKER_THREADS", "1")))
    from compute.errors import PartialsError, ResourceLimitError
    from compute.jobs import run_request

    if torch.cuda.is_available():
        # The CUDA context maps tens of GB of address space: create it before the cap, which
        # counts from what is mapped now, so the cap limits the job and not the driver.
        torch.zeros(1, device="cuda")
    _cap_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _send(stdout, "ready")
    while True:
        try:
            request, limits = _receive(stdin)
        except EOFError:
            return
        try:
            answer = ("ok", run_request(request, limits))
        except ResourceLimitError as exc:
            answer = ("limit", exc.describe())
        except PartialsError as exc:
            answer = ("error", exc.describe())
        except (MemoryError, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and "memory" not in str(exc).lower():
                answer = ("error", "the computation failed")
            else:
                answer = ("limit", "the job needs more memory than this server allows — try a "
                                   "smaller grid or fewer partials")
        try:
            _send(stdout, answer)
        except MemoryError:
            _send(stdout, ("limit", "the result is too large for this server's memory limit"))


if __name__ == "__main__":
    main()
