"""hgk_lib.cluster without a cluster: notebooks die with their worker, the worker check names what is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hgk_lib import cluster as K
from hgk_lib.errors import InputError

psutil = pytest.importorskip("psutil")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_a_notebook_process_dies_with_the_process_that_started_it(tmp_path):
    pidfile = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "from hgk_lib.cluster import die_with_parent_command\n"
        f"p = subprocess.Popen(die_with_parent_command([sys.executable, '-c', 'import time; time.sleep(120)']), "
        "start_new_session=True)\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        child = psutil.Process(int(pidfile.read_text()))
        time.sleep(0.5)  # the wrapper has exec'd the command by now: same pid, the command's arguments
        assert "time.sleep(120)" in " ".join(child.cmdline())
        os.kill(parent.pid, signal.SIGKILL)  # a worker killed by the OOM killer or the batch system
        parent.wait(timeout=10)
        gone, alive = psutil.wait_procs([child], timeout=10)
        assert not alive
    finally:
        if parent.poll() is None:
            parent.kill()


class FakeClient:
    class scheduler:
        address = "tcp://10.0.0.1:8786"

    def __init__(self, answers):
        self.answers = answers

    def scheduler_info(self, n_workers=-1):
        return {"workers": dict.fromkeys(self.answers, {})}

    def run(self, fn, *args):
        return {w: (a if a is not None else fn(*args)) for w, a in self.answers.items()}


def job(tmp_path, **kw):
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "p.yaml").write_text("x", "utf-8")
    return {
        "data_root": str(tmp_path / "data"),
        "params_file": str(tmp_path / "p.yaml"),
        "output_root": str(tmp_path / "out"),
        "notebook": str(K.__file__),
        "kernel": "hgk",
        **kw,
    }


def test_worker_check_names_the_worker_and_the_missing_path(tmp_path):
    client = FakeClient({"tcp://10.0.0.2:1": ["导出数据目录不存在：/shared/raw"], "tcp://10.0.0.3:1": []})
    with pytest.raises(InputError) as err:
        K.check_workers(client, job(tmp_path))
    assert "tcp://10.0.0.2:1" in str(err.value) and "/shared/raw" in str(err.value)
    assert "tcp://10.0.0.3:1" not in str(err.value)


def test_worker_check_on_this_machine_finds_the_paths_and_a_missing_kernel(tmp_path):
    j = job(tmp_path, kernel="no-such-kernel-hgk", data_root=str(tmp_path / "missing"))
    client = FakeClient({"local": None})
    with pytest.raises(InputError) as err:
        K.check_workers(client, j)
    assert "导出数据目录不存在" in str(err.value) and "no-such-kernel-hgk" in str(err.value)
    assert K._worker_check({"输出目录": str(tmp_path)}, "hgk") == []  # make setup registered the kernel


def test_largest_county_first(tmp_path):
    for c, n in (("441801_甲", 10), ("441802_乙", 1000)):
        (tmp_path / c).mkdir()
        (tmp_path / c / "a.csv").write_bytes(b"x" * n)
    assert K.input_bytes(tmp_path, "441802_乙") == 1000 > K.input_bytes(tmp_path, "441801_甲")
