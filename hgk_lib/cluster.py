"""County jobs on a real Dask cluster (``hgk audit --scheduler tcp://HOST:PORT``).

What a cluster adds to a local run, and how hgk handles it:

* **Paths.** Jobs carry absolute paths; every worker must see the export, the parameter file and the output root
  at the same paths (a shared file system). :func:`check_workers` asks every worker before anything is submitted
  and stops with a Chinese error naming the worker and the missing path or kernel.
* **The ``hgk`` kernel on every worker.** papermill starts the kernel on the worker; :func:`check_workers` checks it.
* **A worker dies.** The scheduler hands the county's task to another worker (Dask's ``allowed-failures``); the
  notebook the dead worker had started dies with it (:func:`die_with_parent_command`: ``PR_SET_PDEATHSIG``), so
  it never keeps writing next to the retried run. A task that raises (a transient file-system error) is retried
  twice (``retries=2``); a county whose job is still lost after that is reported failed like a failed notebook.
* **Which worker ran a county** is in the county's run record (``worker``) in ``run_summary.json``.
* **Largest counties first** (task priority = the county's export size), so a big county never starts last.
"""

from __future__ import annotations

import os
import sys
import time

#: Dask retries for a county task that raises (worker deaths are the scheduler's allowed-failures)
TASK_RETRIES = 2

# a tiny exec wrapper: the notebook process is killed when the process that started it dies (Linux); elsewhere it
# simply execs the command
_PDEATH = (
    "import os,sys\n"
    "try:\n"
    "    import ctypes,signal\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)\n"
    "    if os.getppid() != int(sys.argv[1]):\n"
    "        sys.exit(137)\n"
    "except (OSError, AttributeError):\n"
    "    pass\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def die_with_parent_command(cmd: list[str]) -> list[str]:
    """``cmd`` wrapped so that the process is killed when this process dies (a Dask worker killed by the batch
    system or the OOM killer takes its notebook with it). The wrapper execs ``cmd``: same pid, same arguments."""
    if not sys.platform.startswith("linux"):
        return list(cmd)
    return [sys.executable, "-c", _PDEATH, str(os.getpid()), *cmd]


def _worker_check(paths: dict[str, str], kernel: str) -> list[str]:
    """On one worker: the problems (Chinese) with the job's paths and the kernel; empty when all is well."""
    import tempfile
    from pathlib import Path

    problems = []
    for label, p in paths.items():
        if not Path(p).exists():
            problems.append(f"{label}不存在：{p}")
    out = Path(paths.get("输出目录", "."))
    if out.exists():
        try:
            with tempfile.NamedTemporaryFile(dir=out, prefix=".hgk-worker-check-"):
                pass
        except OSError as err:
            problems.append(f"输出目录不可写：{out}（{err.strerror}）")
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        try:
            KernelSpecManager().get_kernel_spec(kernel)
        except NoSuchKernel:
            problems.append(
                f"没有注册 Jupyter 内核 {kernel}（在该节点运行 python -m ipykernel install --sys-prefix "
                f"--name {kernel}）"
            )
    except ImportError:
        problems.append("没有安装 jupyter_client / papermill（该节点需要安装 hgk）")
    return problems


def check_workers(client, job: dict, timeout: float = 60) -> dict[str, list[str]]:
    """Ask every worker whether it sees the job's export, parameter file and output root and has the kernel;
    raise :class:`hgk_lib.errors.InputError` naming each worker's problems, or when there is no worker."""
    from .errors import InputError

    deadline = time.monotonic() + timeout
    while not client.scheduler_info(n_workers=-1).get("workers"):
        if time.monotonic() > deadline:
            raise InputError(f"Dask 集群没有可用的工作节点（{timeout:g} 秒内）", file=str(client.scheduler.address))
        time.sleep(0.5)
    Path = __import__("pathlib").Path
    out = Path(job["output_root"])
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "导出数据目录": job["data_root"],
        "参数文件": job["params_file"],
        "输出目录": str(out),
        "笔记本": job["notebook"],
    }
    answers = client.run(_worker_check, paths, job["kernel"])
    bad = {w: p for w, p in answers.items() if p}
    if bad:
        text = "；".join(f"{w}：{'、'.join(p)}" for w, p in sorted(bad.items()))
        raise InputError(f"Dask 工作节点无法运行县级核查（需要共享文件系统，且每个节点安装 hgk 并注册内核）：{text}")
    return answers


def run_county_job_on_worker(job: dict) -> dict:
    """:func:`hgk_lib.orchestrate.batch.run_county_job` plus the address of the worker that ran it."""
    from .orchestrate.batch import run_county_job

    rec = run_county_job(job)
    try:
        from distributed import get_worker

        rec["worker"] = get_worker().address
    except (ImportError, ValueError):
        pass
    return rec


def input_bytes(data_root, county: str) -> int:
    """Total size of a county's export files: the proxy for its job's cost (time and memory grow with households)."""
    from pathlib import Path

    return sum(p.stat().st_size for p in (Path(data_root) / county).rglob("*") if p.is_file())


def submit_county_jobs(client, jobs: list[dict]) -> dict:
    """``{future: job}``: one task per county (unique key, not pure), retried on exceptions; the largest counties
    get the highest priority, so they start first and the last task to finish is a small one (the critical path of
    a country run is its largest county, not the order it happened to be listed in)."""
    return {
        client.submit(
            run_county_job_on_worker,
            job,
            pure=False,
            retries=TASK_RETRIES,
            priority=input_bytes(job["data_root"], job["county"]),
            key=f"hgk-{job['county']}-{time.time_ns()}",
        ): job
        for job in jobs
    }
