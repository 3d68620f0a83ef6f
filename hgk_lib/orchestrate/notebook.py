"""Papermill execution of one notebook in a child process: retries on kernel start-up failures, an outer
timeout that kills the whole process group, a masked ``run.log``, PII masking of the executed notebook and its HTML.

Papermill changes the working directory and kernels race for ports on start-up, so notebooks never run in several
threads of one interpreter: here each runs in a papermill process of its own (:mod:`.papermill_cli`; ``--workers 1``
and Dask jobs), or one at a time in a local worker process that keeps its kernel (:mod:`.kept_kernel`). Every kernel
gets ``PYTHONHASHSEED=0`` (set before the interpreter starts), ``MPLBACKEND=Agg`` and one BLAS thread
(:func:`child_env`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..cluster import die_with_parent_command
from ..io.safe import write_bytes_atomic
from .papermill_cli import skip_slow_optional_imports

skip_slow_optional_imports()  # this process renders HTML (nbconvert -> nbformat -> jsonschema)

KERNEL = "hgk"
from ..resources import NOTEBOOK_DIR  # noqa: E402  (the packaged copy when installed from a wheel)

COUNTY_NOTEBOOK = NOTEBOOK_DIR / "county_audit.ipynb"
CITY_NOTEBOOK = NOTEBOOK_DIR / "city_summary.ipynb"
RETRIES = 2
RETRY_SLEEP = 2.0
START_TIMEOUT = 120
#: Signs in papermill's stderr that the kernel failed to start or died (retried), vs a failing cell (not retried).
KERNEL_ERRORS = (
    "DeadKernelError",
    "Kernel didn't respond",
    "Kernel died",
    "ZMQError",
    "zmq.error",
    "Address already in use",
    "kernel_info",
)
CELL_ERROR = "PapermillExecutionError"


def child_env(seed: int = 0) -> dict[str, str]:
    """Environment of every notebook process: fixed hash seed, headless plots, UTF-8, one BLAS thread."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONHASHSEED": str(seed),
            "MPLBACKEND": "Agg",
            "PYTHONUTF8": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    return env


def papermill_command(
    notebook, output, parameters: dict, kernel: str = KERNEL, start_timeout: int = START_TIMEOUT
) -> list[str]:
    """``python -m papermill`` exactly as an inspector would type it (parameters as a YAML/JSON mapping, so codes
    and Chinese names stay strings)."""
    return [
        sys.executable,
        "-m",
        "hgk_lib.orchestrate.papermill_cli",  # = papermill, minus a 2.3 s optional import (see that module)
        str(notebook),
        str(output),
        "-k",
        kernel,
        "-y",
        json.dumps(parameters, ensure_ascii=False),
        "--no-progress-bar",
        "--log-output",
        "--start-timeout",
        str(start_timeout),
    ]


#: papermill processes running in this process (killed if the runner is interrupted: they run in their own session,
#: so Ctrl-C on the terminal does not reach them)
_LIVE: set[subprocess.Popen] = set()


def kill_live_notebooks() -> None:
    for proc in list(_LIVE):
        _kill_group(proc)


def partial_notebook(output) -> Path:
    """Where papermill writes while it runs (hidden, same folder); renamed to ``output`` when papermill ends."""
    output = Path(output)
    return output.with_name(f".{output.stem}.tmp.ipynb")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()


def notebook_error(ipynb) -> str | None:
    """``ename: evalue`` of the first error output in an executed notebook (None when there is none)."""
    import nbformat

    try:
        nb = nbformat.read(str(ipynb), as_version=4)
    except (OSError, ValueError, KeyError):
        return None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename', '')}: {out.get('evalue', '')}".strip()
    return None


def mask_notebook(ipynb) -> None:
    """Mask personal numbers in every text output of an executed notebook (images untouched); tracebacks too."""
    import nbformat

    from ..report.mask import mask_text

    path = Path(ipynb)
    if not path.exists():
        return
    nb = nbformat.read(str(path), as_version=4)
    changed = False

    def m(v):
        nonlocal changed
        if isinstance(v, str):
            w = mask_text(v)
            changed |= w != v
            return w
        if isinstance(v, list):
            return [m(x) for x in v]
        return v

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = m(out["text"])
            if "evalue" in out:
                out["evalue"] = m(out["evalue"])
            if "traceback" in out:
                out["traceback"] = m(out["traceback"])
            for key in ("text/plain", "text/html", "text/markdown"):
                if key in out.get("data", {}):
                    out["data"][key] = m(out["data"][key])
    if changed:
        write_bytes_atomic(path, nbformat.writes(nb).encode("utf-8"))


def execute_notebook(
    notebook,
    output,
    parameters: dict,
    log_path,
    timeout: float,
    kernel: str = KERNEL,
    retries: int = RETRIES,
    retry_sleep: float = RETRY_SLEEP,
    seed: int = 0,
) -> dict:
    """Run one notebook with papermill in a child process; masked log; retries on kernel start-up failures.

    Returns ``{"status": success|failed|timeout, "error": str|None, "attempts": n, "seconds": s}``.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_notebook(output)
    cmd = papermill_command(notebook, partial, parameters, kernel)
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    log: list[str] = []
    status, error, attempt = "failed", None, 0
    for attempt in range(1, retries + 2):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status, error = "timeout", f"超过时限 {timeout:g} 秒"
            break
        log.append(attempt_header(attempt, notebook, output, kernel))
        proc = subprocess.Popen(
            die_with_parent_command(cmd),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(seed),
            start_new_session=True,
        )
        _LIVE.add(proc)
        try:
            out, err = proc.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            log += [out.decode("utf-8", "replace"), err.decode("utf-8", "replace")]
            status, error = "timeout", f"超过时限 {timeout:g} 秒（已终止）"
            break
        except BaseException:  # Ctrl-C / SIGTERM of the runner: never leave a notebook writing into the outputs
            _kill_group(proc)
            proc.wait()
            raise
        finally:
            _LIVE.discard(proc)
        text_out, text_err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        log += [text_out, text_err, f"=== 退出码 {proc.returncode}\n"]
        if proc.returncode == 0:
            status, error = "success", None
            break
        kernel_failure = is_kernel_failure(proc.returncode, text_err)
        error = notebook_error(partial) or _last_error_line(text_err) or f"papermill 退出码 {proc.returncode}"
        if kernel_failure and attempt <= retries:
            log.append(f"=== 内核启动失败，{retry_sleep:g} 秒后重试\n")
            time.sleep(retry_sleep)
            continue
        status = "failed"
        break
    return finish_notebook(partial, output, log_path, log, status, error, attempt, t0)


def attempt_header(attempt: int, notebook, output, kernel: str, note: str = "") -> str:
    """``run.log``'s first lines of one attempt: its number, time and host, and papermill's command."""
    return (
        f"=== 第 {attempt} 次运行 {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')} "
        f"主机 {socket.gethostname()}\n$ papermill {Path(notebook).name} {Path(output).name} -k {kernel}{note}\n"
    )


def finish_notebook(partial, output, log_path, log: list[str], status: str, error, attempt: int, t0: float) -> dict:
    """After a notebook's run, however it ended: the executed notebook (masked, synced) takes its final name, the
    masked ``run.log`` is written; returns the run's record."""
    from ..report.mask import mask_text

    partial, output = Path(partial), Path(output)
    if partial.exists():  # finished, failed or timed out: the executed notebook takes its final name (masked)
        mask_notebook(partial)
        with open(partial, "rb") as fh:  # durable before the rename, like every atomic write (io.safe)
            os.fsync(fh.fileno())
        os.replace(partial, output)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(log_path, mask_text("".join(log)).encode("utf-8"))
    return {
        "status": status,
        "error": mask_text(error) if error else None,
        "attempts": attempt,
        "seconds": round(time.monotonic() - t0, 2),
    }


def is_kernel_failure(returncode: int, stderr: str) -> bool:
    """True when papermill failed because the kernel did not start or died (worth a retry), not because a cell
    raised (a :class:`PapermillExecutionError` is the notebook's own error: never retried)."""
    if returncode == 0 or CELL_ERROR in stderr:
        return False
    return returncode == 138 or any(k in stderr for k in KERNEL_ERRORS)


def _last_error_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.splitlines() if re.search(r"(Error|Exception|错误)", ln)]
    return lines[-1][:500] if lines else None


def render_html(ipynb, html) -> Path:
    """The auditors' HTML of an executed notebook (code hidden, TOC, masked): :func:`hgk_lib.report.render_notebook_html`."""
    from ..report.render import render_notebook_html

    return Path(render_notebook_html(ipynb, html))
