"""Worker process for LaTeX formulas: one JSON request per line in, one JSON answer per line out.

Run by :mod:`compute.symbolic`, which kills it when SymPy takes too long.
"""

import json
import sys

from compute.symbolic import formulas_in_process


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            keys = [(str(output), tuple(wrt)) for output, wrt in request["keys"]]
            answers = formulas_in_process(str(request["text"]), keys)
            print(json.dumps([answers[key] for key in keys]), flush=True)
        except Exception:  # noqa: BLE001 - answer with nothing rather than die
            print(json.dumps(None), flush=True)


if __name__ == "__main__":
    main()
