"""The command line under hostile or careless use (issue 14, item 10): output streams in bounded
memory, input is read bounded, a closed pipe and Ctrl-C end quietly, parameter names are checked,
repeated derivative specs are computed once, and numbers in user text are plain ASCII decimals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from compute import PartialsError, ResourceLimitError, cli, make_grid, parse_constant, parse_grid_spec
from compute.cli import output
from compute.engines import engine
from compute.language.grid import points_from_csv
from compute.language.numbers import parse_number
from compute.views.tables import tidy_table
from conftest import ROOT, run_cli

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-m", "compute"]


def one_error_line(proc: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# --- 1. JSON and CSV stream in bounded memory; the table is for small results -----------------

def peak_rss_mib(args: list[str], out: Path) -> int:
    """Run the CLI with stdout to a file; the child's own peak RSS (wait4 reports it per child,
    unlike getrusage(RUSAGE_CHILDREN), which is the largest of every child this process had)."""
    with out.open("wb") as handle:
        proc = subprocess.Popen([*CLI, *args], stdout=handle, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.stderr.read()
    proc.stderr.close()
    return usage.ru_maxrss // 1024


def test_json_output_streams_in_bounded_memory(tmp_path: Path) -> None:
    """4 M points: the result is 2 arrays of 32 MB; building the whole JSON document in memory
    took ~32 bytes a number more (~300 MB over the result); streamed, it stays within 100 MB."""
    tiny = peak_rss_mib(["x*y", "--var", "x=1", "--var", "y=2", "--wrt", "x"], tmp_path / "tiny.json")
    big = peak_rss_mib(["x*y", "--var", "x=linspace(0, 1, 2000)", "--var", "y=linspace(0, 1, 2000)",
                        "--wrt", "x"], tmp_path / "big.json")
    result_mib = 2 * 2000 * 2000 * 8 // 2**20
    assert big - tiny < result_mib + 100, f"peak RSS {big} MiB, {tiny} MiB for a 2-point run"
    text = (tmp_path / "big.json").read_bytes()
    assert text.startswith(b'{"expression": "x*y", "variables": {"x": [0.0, 0.0005002501250625312, ')
    assert text.endswith(b', 0.9994997498749375, 1.0]]}, "nonfinite": {"value": 0, "x": 0}}\n')


def reference_json(result) -> str:
    """The document as the CLI built it before streaming (one json.dump of nested lists)."""
    def nested(array):
        finite = np.isfinite(array)
        if finite.all():
            return array.astype(np.float64).tolist()
        obj = array.astype(np.float64).astype(object)
        obj[~finite] = None
        return obj.tolist()

    def per_output(output):
        partials, counts = {}, {"value": result.nonfinite(result.value(output))}
        for request in result.requests:
            quantity = result.quantity(request, output)
            if isinstance(quantity, dict):
                partials[request.text] = {k: nested(v) for k, v in quantity.items()}
                counts[request.text] = {k: result.nonfinite(v) for k, v in quantity.items()}
            else:
                partials[request.text] = nested(quantity)
                counts[request.text] = result.nonfinite(quantity)
        return partials, counts

    domain = result.domain
    variables = ({name: values.tolist() for name, values in domain.axes}
                 if hasattr(domain, "axes") else {n: v.tolist() for n, v in domain.columns})
    out = {"expression": result.expression.text, "variables": variables, "params": result.params}
    if len(result.outputs) == 1:
        partials, counts = per_output(result.outputs[0])
        out.update(value=nested(result.value()), partials=partials, nonfinite=counts)
    else:
        both = {o: per_output(o) for o in result.outputs}
        out["value"] = {o: nested(result.value(o)) for o in result.outputs}
        out["partials"] = {o: both[o][0] for o in result.outputs}
        out["nonfinite"] = {o: both[o][1] for o in result.outputs}
    return json.dumps(out, allow_nan=False) + "\n"


CASES = [
    ["t*k + 2*t*k**2", "--var", "t=1,2,4", "--var", "k=2,3", "--wrt", "k", "--wrt", "t"],
    ["log(x*y) + a*y", "--var", "x=-1,0,1,2,3", "--var", "y=linspace(0.5, 2, 7)", "--param", "a=2",
     "--wrt", "x", "--wrt", "y,x", "--wrt", "x, y", "--wrt", "hessian", "--wrt", "laplacian",
     "--wrt", "a", "--wrt", "gradient"],
    ["u = x*y*z; v = sin(x) - z; u, v", "--var", "x=1,2,3", "--var", "y=4,5",
     "--var", "z=linspace(0, 1, 11)", "--wrt", "jacobian", "--wrt", "x,z"],
    ["1/x", "--var", "x=linspace(-1, 1, 41)", "--dtype", "float32", "--wrt", "x,x"],
    ["x*y", "--var", "x=1", "--var", "y=linspace(0, 1, 50)"],
]


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 16])
@pytest.mark.parametrize("args", CASES, ids=range(len(CASES)))
def test_streamed_json_and_csv_are_byte_for_byte_the_documents_of_before(
    args, block, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(output, "BLOCK_NUMBERS", block)
    result, _ = cli.run(args)
    assert cli.main([*args, "--format", "json"]) == 0
    assert capsys.readouterr().out == reference_json(result)
    assert cli.main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out == tidy_table(result, ascii_labels=True).to_csv(index=False)


def test_streamed_json_for_points(monkeypatch, capsys) -> None:
    monkeypatch.setattr(output, "BLOCK_NUMBERS", 3)
    csv_text = "x,y\n" + "".join(f"{i / 7},{-i}\n" for i in range(20))
    monkeypatch.setattr(sys, "stdin", _Stdin(csv_text.encode()))
    args = ["x/y", "--points", "-", "--wrt", "x", "--wrt", "y"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", _Stdin(csv_text.encode()))
    assert out == reference_json(cli.run(args)[0])
    assert json.loads(out)["nonfinite"] == {"value": 1, "x": 1, "y": 1}


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


def test_table_is_refused_for_big_results_before_computing() -> None:
    start = time.perf_counter()
    proc = run_cli("x*y", "--var", "x=linspace(0, 1, 1000)", "--var", "y=linspace(0, 1, 1000)",
                   "--format", "table")
    one_error_line(proc, 3, "--format csv", "summary")
    assert time.perf_counter() - start < 10
    small = run_cli("x*y", "--var", "x=1,2", "--var", "y=3,4,5", "--format", "table")
    assert small.returncode == 0
    assert "f\ny" in small.stdout


# --- 2. input is read bounded ----------------------------------------------------------------

ENDLESS = ("import sys, time\nw = sys.stdout.buffer\nw.write(b'x\\n')\n"
           "for _ in range(64):\n    w.write(b'1\\n' * 2**19)\nw.flush()\ntime.sleep(300)\n")


def endless_into(args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """The CLI fed 64 MB of rows by a writer that never closes its end (as `yes 1` would not)."""
    feeder = subprocess.Popen([sys.executable, "-c", ENDLESS], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    try:
        proc = subprocess.Popen([*CLI, *args], stdin=feeder.stdout, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT, env=ENV, text=True)
        feeder.stdout.close()
        try:
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proc.wait()
    finally:
        feeder.kill()
        feeder.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err), time.perf_counter() - start


def test_points_from_an_endless_stdin_stop_at_the_limit() -> None:
    proc, seconds = endless_into(["x", "--points", "-"])
    one_error_line(proc, 3, "too large", "20,000,000 bytes")
    assert seconds < 30


def test_points_from_an_endless_fifo_stop_at_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "points.csv"
    os.mkfifo(fifo)
    writer = ENDLESS.replace("sys.stdout.buffer", "open(sys.argv[1], 'wb')")
    feeder = subprocess.Popen([sys.executable, "-c", writer, str(fifo)], stderr=subprocess.DEVNULL)
    try:
        proc = run_cli("x", "--points", str(fifo))
    finally:
        feeder.kill()
        feeder.wait()
    one_error_line(proc, 3, "too large")


def test_a_big_points_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(10**12)  # sparse: a terabyte that reading would never finish
    start = time.perf_counter()
    one_error_line(run_cli("x", "--points", str(big)), 3, "too large")
    assert time.perf_counter() - start < 10


def test_points_that_are_not_utf8_are_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"x\n1\xe9\n")
    one_error_line(run_cli("x", "--points", str(bad)), 2, "not UTF-8")
    one_error_line(run_cli("x", "--points", "-", stdin=""), 2, "empty")


# --- 3. a closed pipe ------------------------------------------------------------------------

def test_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen([*CLI, "x*y", "--var", "x=linspace(0, 1, 1000)", "--var", "y=1,2,3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
    try:
        assert proc.stdout.read(10) == b'{"expressi'
        proc.stdout.close()  # what `| head -c 10` does
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert err == b""
    assert code == 141  # 128 + SIGPIPE, as the shell reports a writer killed by a closed pipe


# --- 4. Ctrl-C at any moment -----------------------------------------------------------------

def mapped(pid: int, library: str) -> bool:
    with open(f"/proc/{pid}/maps") as maps:
        return library in maps.read()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps")
@pytest.mark.parametrize("moment", ["_multiarray_umath", "libtorch_cpu", 0.5, 1.0])
def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(moment: str | float) -> None:
    """SIGINT while numpy loads (the package's first imports), while torch loads, or later.
    Only Python's own start-up, before it runs any of our code, is out of reach."""
    proc = subprocess.Popen([*CLI, "sin(x*y)", "--var", "x=linspace(0, 1, 4000)",
                             "--var", "y=linspace(0, 1, 4000)", "--format", "summary"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=ENV, text=True)
    try:
        if isinstance(moment, str):  # as soon as the library is being loaded
            deadline = time.monotonic() + 60
            while not mapped(proc.pid, moment) and time.monotonic() < deadline:
                time.sleep(0.002)
        else:
            time.sleep(moment)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip() in ("", "error: interrupted"), err
    assert out == ""


# --- 5. parameter names ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("param", "words"),
    [
        ("typo=3", ["parameter 'typo' is not a name in the function", "without a value: b"]),
        ("__class__=3", ["'__class__' is not a valid parameter name"]),
        ("sin=3", ["'sin' is a built-in name and cannot be a parameter"]),
        ("x y=3", ["'x y' is not a valid parameter name"]),
        ("b\u200b=3", ["'bU+200B' is not a valid parameter name"]),
    ],
)
def test_parameter_names_are_checked(param: str, words: list[str]) -> None:
    proc = run_cli("a*x + b", "--var", "x=1,2", "--param", "a=2", "--param", param)
    one_error_line(proc, 2, *words)


def test_a_parameter_the_function_does_not_use_is_an_error_but_a_variable_is_not() -> None:
    one_error_line(run_cli("x", "--var", "x=1,2", "--param", "b=2"), 2, "parameter 'b'")
    one_error_line(run_cli("u = a*x; u", "--var", "x=1", "--param", "a=1", "--param", "u=2"), 2,
                   "parameter 'u'")
    constant_in_y = run_cli("a*x", "--var", "x=1,2", "--var", "y=5", "--param", "a=3")
    assert constant_in_y.returncode == 0, constant_in_y.stderr
    assert json.loads(constant_in_y.stdout)["partials"]["y"] == [[0.0], [0.0]]


# --- 6. repeated derivative specs ------------------------------------------------------------

SPELLINGS = [f"{' ' * i}{a}{' ' * j},{' ' * k}{b}" for i in range(5) for j in range(5) for k in range(4)
             for a, b in (("x", "y"), ("y", "x"))]


def test_repeated_specs_reach_the_engine_once(monkeypatch) -> None:
    seen: list[list[str]] = []
    real = engine.partials_on_grid

    def spy(expression, domain, wrt, *args, **kwargs):
        seen.append([w.text for w in wrt])  # validated requests, each spec parsed once
        return real(expression, domain, wrt, *args, **kwargs)

    monkeypatch.setattr(engine, "partials_on_grid", spy)
    base = ["sin(x*y)", "--var", "x=1,2", "--var", "y=3"]
    result, _ = cli.run([*base] + ["--wrt", "x,y"] * 200 + ["--wrt", "x"] + ["--wrt", "x,y"] * 5)
    assert seen[-1] == ["x,y", "x"]
    result, _ = cli.run([*base, *(f"--wrt={s}" for s in SPELLINGS)])
    assert seen[-1] == SPELLINGS
    assert len(set(SPELLINGS)) == 200
    assert list(result.partials) == [("f", ("x", "y"))]  # 200 spellings, one partial computed


def test_every_spelling_is_a_key_and_a_repeated_one_appears_once() -> None:
    proc = run_cli("sin(x*y)", "--var", "x=1,2", "--var", "y=3", "--wrt", "x,y", "--wrt", " y , x ",
                   "--wrt", "x,y", "--wrt", "y,x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count('"x,y"') == 2  # once in partials, once in nonfinite
    data = json.loads(proc.stdout)
    assert list(data["partials"]) == ["x,y", " y , x ", "y,x"]
    assert len({json.dumps(v) for v in data["partials"].values()}) == 1


def test_two_hundred_spellings_cost_about_one() -> None:
    grid = ["sin(x*y)*exp(-x)", "--var", "x=linspace(0, 1, 1500)", "--var", "y=linspace(0, 1, 1500)",
            "--format", "summary"]
    start = time.perf_counter()
    one = run_cli(*grid, "--wrt", "x,y")
    single = time.perf_counter() - start
    start = time.perf_counter()
    many = run_cli(*grid, *(f"--wrt={s}" for s in SPELLINGS))
    assert many.returncode == one.returncode == 0, many.stderr
    assert time.perf_counter() - start < 3 * single + 2
    assert many.stdout.count("∂²f/∂x∂y") == 1


# --- 7. CSV files from spreadsheets, and numbers in user text ---------------------------------

def test_a_csv_with_a_byte_order_mark_is_read() -> None:
    points = points_from_csv("\ufeffx, y\n1, 2\n3, 4\n")
    assert points.names == ("x", "y")
    proc = subprocess.run([*CLI, "x*y", "--points", "-"], input="\ufeffx,y\n1,2\n".encode(),
                          capture_output=True, cwd=ROOT, env=ENV, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["value"] == [2.0]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("x,\u200by\n1,2\n", "'U+200By'"),
        ("x,y\u00ad\n1,2\n", "'yU+00AD'"),
        ("x,y\n1,\u20602\n", "'U+20602'"),
        ("x,y\n1,2\x07\n", "'2U+0007'"),
        ("\ufeff\ufeffx\n1\n", "'U+FEFFx'"),
    ],
)
def test_invisible_characters_are_shown_escaped(text: str, shown: str) -> None:
    with pytest.raises(PartialsError) as info:
        points_from_csv(text)
    message = str(info.value)
    assert shown in message
    assert message.isprintable(), repr(message)


@pytest.mark.parametrize("cell", ["1_000", "١٢", "１", "1\u00a01", "0x10", "1e", "--1", "1.2.3", "1,5",
                                  "2d", "½", "²", "1e5_0", "", "e5", "."])
def test_cells_must_be_plain_ascii_decimal_numbers(cell: str) -> None:
    with pytest.raises(PartialsError) as info:
        points_from_csv(f"x,y\n1,2\n3,\"{cell}\"\n")
    message = str(info.value)
    assert "line 3" in message
    assert "column 'y'" in message
    if cell.strip():
        assert "is not a number" in message


@pytest.mark.parametrize("cell", ["nan", "-inf", "Infinity", "1e999", "-1e400"])
def test_non_finite_cells_are_rejected(cell: str) -> None:
    with pytest.raises(PartialsError, match=r"line 2, column 'x': .* finite"):
        points_from_csv(f"x\n{cell}\n")


def test_plain_decimal_cells_are_read() -> None:
    cells = [" 1.5 ", "-2e-3", ".5", "5.", "+3", "1E+05", "0", "-0.0", "\t7\t", "007"]
    points = points_from_csv("x\n" + "\n".join(cells) + "\n")
    assert points.columns[0][1].tolist() == [1.5, -2e-3, 0.5, 5.0, 3.0, 1e5, 0.0, -0.0, 7.0, 7.0]


@pytest.mark.parametrize(("text", "value"), [("1.5", 1.5), ("-2e-3", -2e-3), (" +.5 ", 0.5),
                                             ("5.", 5.0), ("1E+05", 1e5)])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text, "v") == value


@pytest.mark.parametrize("text", ["1_000", "١٢", "１", "0x10", "inf", "nan", "1e999", "", " ", "1 2"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(PartialsError):
        parse_number(text, "v")


@pytest.mark.parametrize("literal", ["1_000", "0x10", "0o7", "0b1", "1_0.5", "1e1_0"])
def test_numbers_in_grid_specs_and_parameters_are_plain_decimals(literal: str) -> None:
    for call in (lambda: parse_grid_spec(f"1, {literal}"), lambda: make_grid({"x": literal}),
                 lambda: parse_grid_spec(f"linspace(0, {literal}, 3)"),
                 lambda: parse_constant(f"2*{literal}")):
        with pytest.raises(PartialsError, match="not a plain decimal number"):
            call()
    one_error_line(run_cli("a*x", "--var", "x=1", "--param", f"a={literal}"), 2, "parameter a",
                   "not a plain decimal number")
    one_error_line(run_cli("x", f"--var=x={literal}"), 2, "grid for x")


def test_plain_decimals_in_grid_specs_and_parameters_still_work() -> None:
    assert parse_grid_spec("1, 2.5, .5, 5., 1e-3, 2E+2, -3, 2*pi").args[:7] == (1, 2.5, 0.5, 5, 1e-3, 200, -3)
    assert parse_constant("1e-3") == 1e-3
    assert parse_constant("2^10") == 1024


def test_limits_are_resource_errors() -> None:
    with pytest.raises(ResourceLimitError):
        points_from_csv("x\n" + "1\n" * 20, max_bytes=10)
