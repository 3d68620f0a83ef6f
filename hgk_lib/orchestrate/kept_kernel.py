"""One ``hgk`` kernel kept for the county notebooks a local worker process runs one after another.

A fresh papermill process and kernel per county costs ~4 s of CPU before the first cell does any work (interpreter,
papermill, kernel start-up and its handshake, the imports cell, shutdown): a quarter of a demo county's notebook.
A local worker (``hgk audit --workers N``, one process per worker, one notebook at a time) therefore runs papermill
in its own process and keeps the kernel between counties; before every notebook the kernel is reset
(:data:`RESET_CODE`: user namespace, figures, warning registries, execution count), so each notebook sees what a
fresh kernel shows it — the imported modules stay loaded, as in ``hgk check``'s one process for every county.

What stays as with a fresh process (:func:`hgk_lib.orchestrate.notebook.execute_notebook`):

* the same record (status, error, attempts, seconds), the same masked ``run.log`` (papermill's log of every cell's
  output, the kernel's own stderr), the executed notebook written while it runs and renamed at the end;
* kernel start-up failures are retried (a new kernel), a failing cell is not;
* the outer timeout kills the kernel's process group (the notebook is reported 超时), Ctrl-C kills it too;
* a kernel that died, timed out or grew past :data:`MAX_KEPT_RSS` is not kept: the next county gets a new one.

Dask workers keep the one-papermill-process-per-notebook path (a ``dask worker`` may run several jobs at once in
threads; papermill changes the working directory).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import tempfile
import time
from pathlib import Path

from .notebook import (
    KERNEL,
    RETRIES,
    RETRY_SLEEP,
    START_TIMEOUT,
    attempt_header,
    child_env,
    finish_notebook,
    is_kernel_failure,
    notebook_error,
    partial_notebook,
)

#: a kernel whose memory (RSS) is above this after a notebook is shut down rather than kept (a province county's
#: kernel holds gigabytes the next, maybe small, county does not need)
MAX_KEPT_RSS = 2 * 1024**3

#: run silently in a kept kernel before each notebook: what a fresh kernel would not have
RESET_CODE = """\
get_ipython().reset(new_session=True)  # the namespace, outputs, a new history session, execution count 1
import sys as _s, warnings as _w
for _m in list(_s.modules.values()):
    _r = getattr(_m, "__warningregistry__", None)
    if isinstance(_r, dict):
        _r.clear()
_w.onceregistry.clear()
_w._filters_mutated()
if "matplotlib.pyplot" in _s.modules:
    _s.modules["matplotlib.pyplot"].close("all")
del _s, _w, _m, _r
"""


class KeptKernel:
    """A kernel kept across notebooks (see the module docstring); :meth:`run` takes
    :func:`~hgk_lib.orchestrate.notebook.execute_notebook`'s arguments and gives its record.

    Everything that talks to the kernel (start, reset, papermill) runs on one helper thread, whose event loop owns
    the kernel's sockets; the calling thread keeps the clock (timeout) and receives Ctrl-C, and answers both by
    killing the kernel's process group, which ends papermill's run on the helper thread."""

    def __init__(self, kernel: str = KERNEL, seed: int = 0):
        from concurrent.futures import ThreadPoolExecutor

        self.kernel = kernel
        self.seed = seed
        self.km = None
        self.runs = 0  # notebooks run in the current kernel
        self._out = None  # the kernel's stdout/stderr file
        self._out_pos = 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hgk-kernel")

    # -- on the helper thread -------------------------------------------------------------------------------------
    def _start(self) -> None:
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self._out is None:
            self._out = tempfile.TemporaryFile()
        km = AsyncKernelManager(kernel_name=self.kernel)
        run_sync(km.start_kernel)(env=child_env(self.seed), stdout=self._out, stderr=self._out)
        self.km, self.runs = km, 0

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def _forget(self) -> None:
        """Shut the kernel down (it may be dead already) and drop it."""
        from jupyter_core.utils import run_sync

        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - already gone: its connection file is all that is left
                _remove(getattr(self.km, "connection_file", None))
        self.km, self.runs = None, 0

    def _reset(self) -> None:
        """Run :data:`RESET_CODE` silently (no output, no history, no execution count)."""
        from jupyter_core.utils import run_sync

        kc = self.km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=START_TIMEOUT)
            msg_id = kc.execute(RESET_CODE, silent=True, store_history=False)
            while True:
                reply = run_sync(kc.get_shell_msg)(timeout=START_TIMEOUT)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"].get("status") != "ok":
                c = reply["content"]
                raise RuntimeError(f"内核重置失败：{c.get('ename')}: {c.get('evalue')}")
        finally:
            kc.stop_channels()

    def _execute(self, notebook, partial, parameters: dict) -> None:
        import papermill as pm

        if self._alive():
            self._reset()
        else:
            self._forget()
            self._start()
        pm.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            engine_name=ENGINE,
            kernel_name=self.kernel,
            progress_bar=False,
            log_output=True,
            start_timeout=START_TIMEOUT,
            km=self.km,
        )

    # -- on the calling thread ------------------------------------------------------------------------------------
    def _pid(self) -> int | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    def _kill_process(self) -> None:
        """SIGKILL to the kernel's process group (a session of its own): papermill's run on the helper thread ends
        with a dead kernel."""
        pid = self._pid()
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass

    def _rss(self) -> int:
        import psutil

        try:
            return psutil.Process(self._pid()).memory_info().rss
        except (psutil.Error, ValueError, TypeError):
            return 0

    def _kernel_output(self) -> str:
        """What the kernel process wrote to stdout/stderr since the last call (start-up warnings and the like)."""
        if self._out is None:
            return ""
        self._out.seek(self._out_pos)
        data = self._out.read()
        self._out_pos += len(data)
        return data.decode("utf-8", "replace")

    def close(self) -> None:
        """Kill the kernel (at the worker's exit; the helper thread may already be stopped)."""
        self._kill_process()
        if self.km is not None:
            _remove(getattr(self.km, "connection_file", None))
        self.km = None
        self._thread.shutdown(wait=False, cancel_futures=True)
        if self._out is not None:
            self._out.close()
            self._out = None

    def run(
        self,
        notebook,
        output,
        parameters: dict,
        log_path,
        timeout: float,
        kernel: str | None = None,
        retries: int = RETRIES,
        retry_sleep: float = RETRY_SLEEP,
    ) -> dict:
        """Execute one notebook in the kept kernel; the record of :func:`execute_notebook`."""
        from concurrent.futures import TimeoutError as FutureTimeout

        from papermill.exceptions import PapermillExecutionError

        if kernel and kernel != self.kernel:  # another kernel asked for: the next start uses it
            self._thread.submit(self._forget).result()
            self.kernel = kernel
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = partial_notebook(output)
        t0 = time.monotonic()
        deadline = t0 + timeout
        log: list[str] = []
        status, error, attempt = "failed", None, 0
        for attempt in range(1, retries + 2):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                status, error = "timeout", f"超过时限 {timeout:g} 秒"
                break
            log.append(
                attempt_header(
                    attempt, notebook, output, self.kernel, f"（本进程保留的内核，已运行 {self.runs} 个笔记本）"
                )
            )
            handler = _LogCapture()
            job = self._thread.submit(self._execute, notebook, partial, parameters)
            try:
                try:
                    job.result(timeout=remaining)
                except FutureTimeout:
                    self._kill_process()
                    _wait_quietly(job)
                    self._thread.submit(self._forget).result()
                    status, error = "timeout", f"超过时限 {timeout:g} 秒（已终止）"
                    break
                self.runs += 1
                status, error = "success", None
                break
            except PapermillExecutionError as err:  # a cell failed: the notebook's own error, never retried
                log.append(f"{type(err).__name__}: {err}\n")  # the traceback, as papermill's command line prints it
                self.runs += 1
                status, error = "failed", notebook_error(partial) or "笔记本单元格出错"
                break
            except Exception as err:  # noqa: BLE001 - the kernel did not start or died: a new kernel, maybe again
                self._thread.submit(self._forget).result()
                text = f"{type(err).__name__}: {err}"
                log.append(text + "\n")
                error = notebook_error(partial) or text
                if is_kernel_failure(1, text) and attempt <= retries:
                    log.append(f"=== 内核启动失败，{retry_sleep:g} 秒后重试\n")
                    time.sleep(retry_sleep)
                    continue
                status = "failed"
                break
            except BaseException:  # Ctrl-C / SIGTERM of the worker: never leave a kernel writing into the outputs
                self._kill_process()
                _wait_quietly(job)
                raise
            finally:
                handler.detach()
                log.append(handler.text())
                log.append(self._kernel_output())
        log.append(f"=== 结束：{ {'success': '成功', 'timeout': '超时'}.get(status, '失败') }\n")
        if self.km is not None and self._rss() > MAX_KEPT_RSS:  # a large county's memory is not kept
            self._thread.submit(self._forget).result()
        return finish_notebook(partial, output, log_path, log, status, error, attempt, t0)


def _wait_quietly(job, seconds: float = 60) -> None:
    """Wait for papermill's run on the helper thread to end after its kernel was killed (its error is expected)."""
    try:
        job.result(timeout=seconds)
    except BaseException:  # noqa: BLE001 - the dead kernel's error
        pass


def _remove(path) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


class _LogCapture(logging.Handler):
    """papermill's log lines (with ``log_output``: every cell's output) for ``run.log``, as papermill's command line
    logs them (INFO and up, the message only); while attached, the papermill logger logs INFO and does not pass its
    records on (no cell output on the worker's terminal)."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(message)s"))
        self._logger = logging.getLogger("papermill")
        self._saved = (self._logger.level, self._logger.propagate)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self)

    def detach(self) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved[0])
        self._logger.propagate = self._saved[1]

    def emit(self, record):
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


# ---------------------------------------------------------------------------------------------------------------
# the papermill engine that leaves the kernel running
# ---------------------------------------------------------------------------------------------------------------
ENGINE = "hgk-kept-kernel"


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import remove_args

    class KeptKernelEngine(NBClientEngine):
        """papermill's nbclient engine with a kernel manager it does not own: the kernel outlives the notebook
        (nbclient leaves a kernel it did not start running); only the client's channels are closed."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            km=None,
            **kwargs,
        ):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()
                    client.kc = None

    papermill_engines.register(ENGINE, KeptKernelEngine)


_register_engine()

#: this process's kept kernel (a local worker process runs one notebook at a time)
_KEPT: KeptKernel | None = None


def kept_kernel(kernel: str = KERNEL) -> KeptKernel:
    """This process's :class:`KeptKernel` (created on first use, closed when the process exits)."""
    global _KEPT
    if _KEPT is None:
        from multiprocessing import util

        _KEPT = KeptKernel(kernel)
        atexit.register(_KEPT.close)
        util.Finalize(_KEPT, _KEPT.close, exitpriority=10)  # a pool's worker process ends by os._exit, not atexit
    return _KEPT
