"""Downloads have a size budget (issue 14, item 8): CSV while it builds in about a second, Parquet
(exact, 30× faster to build) up to 128 MB, and past that the exact command line that streams the
same numbers. Uploads are parsed once per file, not on every rerun (item 7)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from compute import make_grid, partials_on_grid
from compute.views.tables import tidy_table
from conftest import ROOT
from ui import points_input as ui_points
from ui.compute_cache import clear_results
from ui.downloads import CSV_MAX_NUMBERS, PARQUET_MAX_NUMBERS, cli_command, download_format, parquet_bytes


def test_the_format_follows_the_size() -> None:
    assert download_format(CSV_MAX_NUMBERS) == "csv"
    assert download_format(CSV_MAX_NUMBERS + 1) == "parquet"
    assert download_format(PARQUET_MAX_NUMBERS) == "parquet"
    assert download_format(PARQUET_MAX_NUMBERS + 1) is None


def test_parquet_keeps_every_bit() -> None:
    frame = pd.DataFrame({"x": [0.1, 1e-300, -0.0], "∂f/∂x": [np.pi, np.inf, np.nan]})
    back = pd.read_parquet(io.BytesIO(parquet_bytes(frame)))
    assert list(back.columns) == ["x", "∂f/∂x"]
    np.testing.assert_array_equal(back.to_numpy(), frame.to_numpy())


def run_pasted(command: str, cwd: Path) -> None:
    """Run a command as a user pastes it into a shell, with this interpreter as "python"."""
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                         text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(("text", "variables", "params", "wrt"), [
    ("t*k + 2*t*k**2", (("t", "1, 2, 4"), ("k", "2, 3")), (), ("k", "t,k")),
    ("-a*x*y", (("x", "linspace(0, 1, 4)"), ("y", "3")), (("a", 0.1),), ("x", "a")),  # leading "-"
    ("exp(-x) + y", (("x", "arange(0, 1, 0.25)"), ("y", "1e-3")), (), ("x", "y")),
])
def test_the_offered_command_writes_the_same_numbers(tmp_path, text, variables, params, wrt) -> None:
    command = cli_command(text, variables, params, wrt)
    run_pasted(command, tmp_path)
    written = pd.read_csv(tmp_path / "partials.csv")
    expected = tidy_table(partials_on_grid(text, make_grid(dict(variables)), list(wrt), dict(params)),
                          ascii_labels=True)
    assert written.shape == expected.shape
    np.testing.assert_array_equal(written.to_numpy(), expected.to_numpy())


def test_a_result_too_large_to_download_points_to_the_command_line() -> None:
    """2000×2000 points × (2 variables + f + 2 partials) = 20 M numbers: past Parquet's budget."""
    clear_results()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in {"f": "x*y", "var.x": "linspace(0, 1, 2000)", "var.y": "linspace(0, 1, 2000)",
                       "wrt": ["x", "y"], "plot": "heatmap"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    everything = next(b for b in at.get("download_button") if "Download everything" in b.label)
    assert everything.proto.disabled
    assert "20,000,000 numbers" in everything.help
    assert "python -m compute 'x*y' --var 'x=linspace(0, 1, 2000)'" in everything.help
    clear_results()


def test_a_mid_sized_result_downloads_as_parquet() -> None:
    clear_results()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in {"f": "x*y", "var.x": "linspace(0, 1, 700)", "var.y": "linspace(0, 1, 700)",
                       "wrt": ["x"], "plot": "heatmap"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    everything = next(b for b in at.get("download_button") if "Download everything" in b.label)
    assert "Parquet" in everything.label
    assert not everything.proto.disabled
    clear_results()


def test_an_upload_is_parsed_once_however_often_the_page_reruns(monkeypatch) -> None:
    calls = []
    real = ui_points.points_from_csv

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ui_points, "points_from_csv", counting)
    data = b"x,y\n" + b"".join(f"{i},{i / 7!r}\n".encode() for i in range(1000))
    first = ui_points.uploaded_points(data)
    for _ in range(5):
        assert ui_points.uploaded_points(data) is first
    assert len(calls) == 1
    assert first[0][0] == "x"
    assert first[1][1][7] == 1.0


# --- Downloads say what they hold and read back exactly (issue 9, item 8) ---------------------

def _downloads(monkeypatch, query: dict) -> tuple[dict[str, dict], object]:
    """Open the Explorer with ``query`` and return, per download button key, the arguments the
    page gave it (its table builder, format, metadata), plus the result the page computed."""
    from ui import results as ui_results

    calls: dict[str, dict] = {}
    real = ui_results.download_button

    def recording(container, label, build, **kwargs):
        calls[kwargs["key"]] = {"build": build, "label": label, **kwargs}
        return real(container, label, build, **kwargs)

    monkeypatch.setattr(ui_results, "download_button", recording)
    clear_results()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return calls, at


def _file(call: dict, kind: str = "csv") -> bytes:
    """The bytes the button serves when clicked (the same function the button calls)."""
    from ui.downloads import file_bytes

    return file_bytes(kind, call["build"](), call["metadata"], index=call.get("index", False))


SEED_LINK = {"f": "a*t*k + 2*t*k**2", "var.t": "linspace(0.1, 0.5, 5)", "var.k": "0.12, 2, 3",
             "param.a": "0.12", "wrt": ["k", "t,k"]}


def test_a_wide_csv_names_both_axes_and_its_inputs_and_reads_back_exactly(monkeypatch) -> None:
    calls, _ = _downloads(monkeypatch, SEED_LINK)
    engine = partials_on_grid(SEED_LINK["f"], make_grid({"t": SEED_LINK["var.t"], "k": SEED_LINK["var.k"]}),
                              ["k", "t,k"], {"a": 0.12})
    text = _file(calls["dl_1"]).decode("utf-8")  # ∂f/∂k: f is dl_0
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = text.splitlines()[len(comments):]
    joined = "\n".join(comments)
    for stated in ("# function: a*t*k + 2*t*k**2", "# grid: t = linspace(0.1, 0.5, 5)",
                   "# grid: k = 0.12, 2, 3", "# parameter: a = 0.12", "# dtype: float64",
                   "∂f/∂k (df/dk); rows are t, columns are k", "# command: python -m compute"):
        assert stated in joined, (stated, joined)
    assert body[0] == "t \\ k,0.12,2,3"  # both axes named; the typed 0.12 is written 0.12
    assert "0.12000000000000001" not in text
    back = pd.read_csv(io.StringIO(text), comment="#", index_col=0)
    np.testing.assert_array_equal(back.index.to_numpy(dtype=float), engine.domain.axis("t"))
    np.testing.assert_array_equal(back.columns.astype(float).to_numpy(), engine.domain.axis("k"))
    np.testing.assert_array_equal(back.to_numpy(), engine.partial("k"))  # every bit


def test_everything_csv_reproduces_with_its_own_command(monkeypatch, tmp_path) -> None:
    calls, _ = _downloads(monkeypatch, {**SEED_LINK, "f": "d = t*k\nd*a + 2*t*k**2"})
    text = _file(calls["dl_all"]).decode("utf-8")
    assert "# function:\n#   d = t*k\n#   d*a + 2*t*k**2\n" in text  # each line of the function
    back = pd.read_csv(io.StringIO(text), comment="#")
    engine = tidy_table(partials_on_grid("d = t*k\nd*a + 2*t*k**2", make_grid(
        {"t": SEED_LINK["var.t"], "k": SEED_LINK["var.k"]}), ["k", "t,k"], {"a": 0.12}), ascii_labels=True)
    assert list(back.columns) == list(engine.columns)
    np.testing.assert_array_equal(back.to_numpy(), engine.to_numpy())
    (command,) = [line[len("# command: "):] for line in text.splitlines() if line.startswith("# command: ")]
    run_pasted(command, tmp_path)
    again = pd.read_csv(tmp_path / "partials.csv")
    np.testing.assert_array_equal(again.to_numpy(), back.to_numpy())


def test_parquet_carries_the_same_description_in_its_schema(monkeypatch) -> None:
    import json

    import pyarrow.parquet as pq

    calls, _ = _downloads(monkeypatch, SEED_LINK)
    table = pq.read_table(io.BytesIO(_file(calls["dl_1"], "parquet")))
    meta = json.loads(table.schema.metadata[b"partials"])
    assert meta["function"] == "a*t*k + 2*t*k**2"
    assert meta["grid"] == {"t": "linspace(0.1, 0.5, 5)", "k": "0.12, 2, 3"}
    assert meta["parameters"] == {"a": 0.12}
    assert meta["dtype"] == "float64"
    assert (meta["quantity"], meta["rows"], meta["columns"]) == ("∂f/∂k", "t", "k")
    frame = table.to_pandas()
    assert list(frame.columns) == ["t \\ k", "0.12", "2", "3"]
    engine = partials_on_grid(SEED_LINK["f"], make_grid({"t": SEED_LINK["var.t"], "k": SEED_LINK["var.k"]}),
                              ["k"], {"a": 0.12})
    np.testing.assert_array_equal(frame["t \\ k"].to_numpy(), engine.domain.axis("t"))
    np.testing.assert_array_equal(frame.iloc[:, 1:].to_numpy(), engine.partial("k"))


def test_a_points_download_records_its_points_and_parameters(monkeypatch) -> None:
    calls, _ = _downloads(monkeypatch, {"f": "x*y*b", "mode": "points", "pts.x": "1,2.5",
                                        "pts.y": "0.1,4", "param.b": "3", "wrt": ["x"]})
    text = _file(calls["dl_1"]).decode("utf-8")
    assert "# points: 2 rows of x, y" in text
    assert "# parameter: b = 3" in text
    back = pd.read_csv(io.StringIO(text), comment="#")
    assert list(back.columns) == ["x", "y", "∂f/∂x"]
    np.testing.assert_array_equal(back["∂f/∂x"].to_numpy(), [0.30000000000000004, 12.0])
