"""The kernel a local worker keeps between its counties (hgk_lib.orchestrate.kept_kernel): each notebook sees what a
fresh kernel shows it (no variables, figures or once-only warnings of the county before, execution counts from 1),
and failures end as with a papermill process per notebook — start-up failures retried, a failing cell not, the outer
timeout and a dying kernel handled, personal numbers masked."""

from __future__ import annotations

import json
import sys

import nbformat
import pytest

from hgk_lib.orchestrate import notebook as NB
from hgk_lib.orchestrate.kept_kernel import KeptKernel


def _notebook(path, *cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "hgk", "language": "python", "display_name": "hgk"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    return path


def _outputs(path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        for o in c.outputs
    ]


@pytest.fixture
def kept():
    k = KeptKernel()
    yield k
    k.close()


@pytest.fixture(params=["process", "kept"])
def runner(request):
    """The same notebook run both ways: a papermill process per notebook, or the kept kernel."""
    if request.param == "process":
        yield NB.execute_notebook
        return
    k = KeptKernel()
    yield k.run
    k.close()


def test_the_second_notebook_sees_a_fresh_kernel_in_the_same_process(tmp_path, kept):
    first = _notebook(
        tmp_path / "a.ipynb",
        "county = 'A'",
        "import os, warnings\nsecret = 42\nwarnings.warn('只提示一次')\nprint(os.getpid())",
        "import matplotlib.pyplot as plt\nfig = plt.figure()",
    )
    second = _notebook(
        tmp_path / "b.ipynb",
        "county = 'B'",
        "import os, warnings\nprint('secret' in dir(), 'fig' in dir())\nwarnings.warn('只提示一次')\nprint(os.getpid())",
        "import matplotlib.pyplot as plt\nprint(len(plt.get_fignums()))",
    )
    a = kept.run(first, tmp_path / "a_out.ipynb", {"county": "A"}, tmp_path / "a.log", timeout=120)
    b = kept.run(second, tmp_path / "b_out.ipynb", {"county": "B"}, tmp_path / "b.log", timeout=120)
    assert a["status"] == b["status"] == "success", (a, b)
    out_a, out_b = _outputs(tmp_path / "a_out.ipynb"), _outputs(tmp_path / "b_out.ipynb")
    assert any("只提示一次" in o for o in out_a) and any("只提示一次" in o for o in out_b)  # the warning again
    lines_a = [ln for o in out_a for ln in o.splitlines()]
    lines_b = [ln for o in out_b for ln in o.splitlines()]
    assert "False False" in lines_b  # nothing of notebook A left
    assert lines_b[-1] == "0"  # no figure left open
    pids = [ln for ln in lines_a + lines_b if ln.isdigit() and len(ln) > 2]
    assert len(pids) == 2 and pids[0] == pids[1]  # one kernel for both
    counts = [c.execution_count for c in nbformat.read(tmp_path / "b_out.ipynb", as_version=4).cells]
    assert counts == list(range(1, len(counts) + 1))  # as in a fresh kernel
    assert not any("Session/line" in o for o in out_b)  # IPython's history takes the counts from 1 again
    log_b = (tmp_path / "b.log").read_text(encoding="utf-8")
    assert "本进程保留的内核，已运行 1 个笔记本" in log_b
    assert pids[0] in (tmp_path / "a.log").read_text(encoding="utf-8")  # run.log: papermill's log of the cells
    assert "Executing Cell" in log_b and "只提示一次" in log_b


def test_a_failing_cell_is_not_retried_and_its_error_is_masked(tmp_path, runner):
    nb = _notebook(
        tmp_path / "nb.ipynb", "x = 1", "raise ValueError('证件号码 ' + '4418811980' + '01011234' + ' 重复')"
    )
    res = runner(nb, tmp_path / "out.ipynb", {}, tmp_path / "run.log", timeout=120)
    assert res["status"] == "failed" and res["attempts"] == 1
    assert "ValueError" in res["error"] and "441881198001011234" not in res["error"]
    assert "ValueError" in (tmp_path / "run.log").read_text(encoding="utf-8")  # the log holds the error too
    from hgk_lib.report.mask import find_unmasked_pii

    for f in ("out.ipynb", "run.log"):
        assert find_unmasked_pii((tmp_path / f).read_text(encoding="utf-8")) == [], f


@pytest.mark.slow
def test_the_outer_timeout_stops_a_hanging_notebook_and_the_next_one_runs(tmp_path, runner):
    hang = _notebook(tmp_path / "hang.ipynb", "x = 1", "import time\ntime.sleep(120)")
    res = runner(hang, tmp_path / "out.ipynb", {}, tmp_path / "run.log", timeout=8)
    assert res["status"] == "timeout" and res["seconds"] < 40, res
    ok = _notebook(tmp_path / "ok.ipynb", "x = 1", "print(x + 1)")
    assert runner(ok, tmp_path / "ok_out.ipynb", {}, tmp_path / "ok.log", timeout=120)["status"] == "success"


@pytest.mark.slow
def test_a_kernel_that_dies_mid_run_is_replaced_and_the_notebook_rerun(tmp_path, runner):
    flag = tmp_path / "died_once"
    nb = _notebook(
        tmp_path / "nb.ipynb",
        "x = 1",
        f"import os, pathlib, signal\nflag = pathlib.Path({str(flag)!r})\n"
        "if not flag.exists():\n    flag.touch()\n    os.kill(os.getpid(), signal.SIGKILL)\nprint('第二次')",
    )
    res = runner(nb, tmp_path / "out.ipynb", {}, tmp_path / "run.log", timeout=120, retry_sleep=0.1)
    assert res["status"] == "success" and res["attempts"] == 2, res
    assert any("第二次" in o for o in _outputs(tmp_path / "out.ipynb"))


@pytest.mark.slow
def test_a_kernel_that_cannot_start_is_retried_twice_then_reported(tmp_path, monkeypatch, runner):
    spec = tmp_path / "kernels" / "broken"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", "import sys; sys.exit(3)", "{connection_file}"],
                "display_name": "broken",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    nb = _notebook(tmp_path / "nb.ipynb", "x = 1")
    res = runner(nb, tmp_path / "out.ipynb", {}, tmp_path / "run.log", 120, "broken", retries=2, retry_sleep=0.1)
    assert res["status"] == "failed" and res["attempts"] == 3, res
    log = (tmp_path / "run.log").read_text(encoding="utf-8")
    assert log.count("=== 第") == 3 and "重试" in log
