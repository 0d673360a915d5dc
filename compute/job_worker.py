"""Compute worker: length-prefixed pickles in on stdin, answers out on stdout.

Started by :mod:`compute.jobs`. It loads torch, fixes its thread count, then caps its address
space so that a job asking for too much memory fails here, not in the server.
"""

import os
import pickle
import resource
import struct
import sys

_HEADER = struct.Struct("!Q")


def _cap_memory() -> None:
    cap = int(os.environ.get("PARTIALS_WORKER_MEMORY", "0"))
    if cap <= 0:
        return
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + cap
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return data


def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


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
            (length,) = _HEADER.unpack(_read(stdin, _HEADER.size))
            request, limits = pickle.loads(_read(stdin, length))
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
