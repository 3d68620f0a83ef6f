"""``hgk audit --scheduler tcp://…`` on a real Dask cluster: ``dask scheduler`` and two ``dask worker`` processes
started with Dask's own commands on the loopback address, as on a cluster.

Bounded: every process is started by this module in its own session and killed (with its children) at the end;
loopback only; the scheduler stops itself after 15 idle minutes and the workers 60 s after losing it, so even a
test process killed hard leaves nothing running for long; every wait has a deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from helpers.paths import FIXTURE, PARAMS, fixture_counties

psutil = pytest.importorskip("psutil")
distributed = pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
DASK = BIN / "dask"
HGK = BIN / "hgk"
RUN_LIMIT = 900  # seconds for one hgk audit run

pytestmark = [pytest.mark.skipif(not DASK.exists(), reason="dask command not installed")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_tree(pid: int) -> None:
    try:
        p = psutil.Process(pid)
        procs = p.children(recursive=True) + [p]
    except psutil.NoSuchProcess:
        return
    for q in procs:
        try:
            q.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)


class Cluster:
    def __init__(self, tmp: Path, workers: int = 2):
        self.tmp, self.procs, self.workers = tmp, [], {}
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "3",
        }
        self.start(
            "scheduler",
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", "--idle-timeout", "900"],
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("dask scheduler did not start")
                time.sleep(0.3)
        for i in range(workers):
            self.add_worker(f"w{i}")

    def start(self, name: str, cmd: list) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")
        p = subprocess.Popen(
            [str(c) for c in cmd],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.tmp,
            env=self.env,
            start_new_session=True,
        )
        self.procs.append(p)
        return p

    def add_worker(self, name: str) -> None:
        # no nanny: one process per worker, so killing it is a node's death (nothing restarts it)
        self.workers[name] = self.start(
            name,
            [
                DASK,
                "worker",
                self.address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                name,
                "--death-timeout",
                "60",
            ],
        )

    def client(self, n_workers: int):
        from distributed import Client

        c = Client(self.address, timeout="30s")
        c.wait_for_workers(n_workers, timeout=120)
        return c

    def stop(self) -> None:
        for p in self.procs:
            kill_tree(p.pid)
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c
    finally:
        c.stop()
    for p in c.procs:
        assert p.poll() is not None


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    data = tmp_path_factory.mktemp("cluster_export") / "2019"
    shutil.copytree(FIXTURE, data)
    return data


def audit_cli(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [HGK, "audit", "--data", data, "--year", "2019", "--out", out, "--params", PARAMS, *extra]
    return subprocess.run([str(c) for c in cmd], capture_output=True, timeout=RUN_LIMIT, cwd=out.parent)


def sheets(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values, without what changes from run to run: the run time (说明) and the rules' timings
    (用时 columns); the hidden provenance sheet is left out."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        if ws.title == "_provenance":
            continue
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        timed = {i for i, h in enumerate(rows[0] if rows else ()) if isinstance(h, str) and "用时" in h}
        out[ws.title] = [
            tuple(None if i in timed else v for i, v in enumerate(r))
            for r in rows
            if not any(isinstance(v, str) and v.startswith("运行时间") for v in r)
        ]
    wb.close()
    return out


def county_files(out: Path, county: str) -> tuple[dict, dict]:
    from hgk_lib.report.summary import strip_volatile

    d = out / "2019" / county
    ledger = next(d.glob("回头看台账_*.xlsx"))
    return sheets(ledger), strip_volatile(json.loads((d / "summary.json").read_text("utf-8")))


def test_audit_on_the_cluster_equals_the_local_run(cluster, export, tmp_path):
    local = audit_cli(export, tmp_path / "local", "--workers", "1")
    assert local.returncode == 0, local.stderr.decode()[-3000:]
    with cluster.client(2):
        pass
    dist = audit_cli(export, tmp_path / "dask", "--scheduler", cluster.address)
    assert dist.returncode == 0, dist.stderr.decode()[-3000:]
    for county in fixture_counties():
        lw, ls = county_files(tmp_path / "local", county)
        dw, ds = county_files(tmp_path / "dask", county)
        assert lw.keys() == dw.keys()
        for name in lw:
            assert lw[name] == dw[name], f"{county} {name}"
        assert ls == ds
    run = json.loads((tmp_path / "dask" / "2019" / "run_summary.json").read_text("utf-8"))
    assert run["ok"] and run["scheduler"] == cluster.address
    assert {r["worker"] for r in run["counties"]} <= set(_workers(cluster))
    # the spot-check list (drawn on the client from the counties' results) is the same too
    draw = "市汇总/抽查名单_2019.xlsx"
    assert sheets(tmp_path / "local" / "2019" / draw) == sheets(tmp_path / "dask" / "2019" / draw)


def _workers(cluster) -> list[str]:
    with cluster.client(1) as c:
        return list(c.scheduler_info(n_workers=-1)["workers"])


def test_a_killed_worker_loses_only_its_county_which_is_retried_elsewhere(cluster, export, tmp_path):
    from hgk_lib.orchestrate.batch import run_audit

    out = tmp_path / "out"
    with cluster.client(2) as client:
        names = {w["name"]: a for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
        result: dict = {}
        t = threading.Thread(
            target=lambda: result.update(
                run_audit(export, 2019, out, params=PARAMS, client=client, spot_check=False, city=False, quiet=True)
            ),
            daemon=True,
        )
        t.start()
        # wait until every worker is running a county's notebook, then kill w0 (SIGKILL: a node's death)
        victim = cluster.workers["w0"]
        deadline = time.monotonic() + 300
        victim_county, notebook_children = None, []
        while time.monotonic() < deadline:
            busy = client.processing()
            kids = [
                k for k in psutil.Process(victim.pid).children(recursive=True) if "papermill" in " ".join(k.cmdline())
            ]
            if all(busy.get(a) for a in names.values()) and kids:
                victim_county = next(iter(busy[names["w0"]])).split("-")[1]
                notebook_children = psutil.Process(victim.pid).children(recursive=True)
                break
            time.sleep(0.5)
        assert victim_county, "the workers never both ran a county"
        time.sleep(3)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        # the dead worker's notebook and kernel die with it (nothing keeps writing next to the retry)
        gone, alive = psutil.wait_procs(notebook_children, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
        t.join(timeout=RUN_LIMIT)
        assert not t.is_alive()
    recs = {r["county"]: r for r in result["counties"]}
    assert set(recs) == set(fixture_counties())
    assert all(r["status"] == "success" for r in recs.values()), recs
    assert {r["worker"] for r in recs.values()} == {names["w1"]}  # both counties finished on the survivor
    other = next(c for c in recs if c != victim_county)
    log = (out / "2019" / other / "run.log").read_text("utf-8")
    assert log.count("=== 第 1 次运行") == 1 and "第 2 次运行" not in log  # the other county ran once
    for county in fixture_counties():
        assert (out / "2019" / county / "summary.json").exists()
    cluster.add_worker("w0b")  # leave two workers for any later test
