"""The batch behind ``hgk audit``: every county's notebook in its own process, then the city steps.

Steps (:func:`run_audit`):

1. find the county folders (or take ``--county``), validate the parameter file;
2. :func:`hgk_lib.orchestrate.processed.prepare_city`: load each county once into processed parquet and build the
   R09 ID index;
3. run ``notebooks/county_audit.ipynb`` once per county, ``--workers`` at a time in local worker processes that keep
   their kernel between counties (:mod:`hgk_lib.orchestrate.kept_kernel`), or one papermill process per county
   (:func:`hgk_lib.orchestrate.notebook.execute_notebook`: one worker, or a Dask cluster with ``--scheduler``); the
   notebook saves the county's results, ledger and summary; the executed notebook is rendered to
   ``回头看报告_<县名>_<year>.html``;
4. write ``<out>/<year>/run_summary.json`` and print a Chinese table; one failed county never stops the others;
5. the spot-check draw from the saved results (unless ``--no-spot-check``), and beside it the campaign reconcile
   then ``notebooks/city_summary.ipynb`` (always rerun): the draw reads neither the record nor the summary, the
   summary none of the draw's files (:func:`run_city_steps`).

``--resume`` reruns only counties that failed or are missing: a county is done when its ledger, ``summary.json``,
results manifest, ``.ipynb`` and ``.html`` exist and its ``run.json`` says success with the same input hash and
parameter hash. The exit code is 0 only when every county, the spot-check draw and the city summary succeeded.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pandas as pd

from ..cluster import check_workers, input_bytes, submit_county_jobs
from ..errors import HgkError, InputError
from ..io.safe import read_json, write_json_atomic
from ..params import default_params_file, load_params
from . import paths
from .county import process_county, write_county_outputs
from .notebook import CITY_NOTEBOOK, COUNTY_NOTEBOOK, KERNEL, execute_notebook, kill_live_notebooks, render_html
from .paths import (
    RUN_SUMMARY,
    check_county,
    city_paths,
    county_name,
    county_paths,
    default_processed_root,
    find_counties,
    input_hash,
    params_hash,
    resolve_path,
    safe_path,
)
from .processed import prepare_city

STATUS_LABELS = {"success": "成功", "failed": "失败", "timeout": "超时", "skipped": "已完成（跳过）"}


# ---------------------------------------------------------------------------------------------------------------
# one county job (picklable: runs in a worker process or on a Dask worker; the notebook in a child)
# ---------------------------------------------------------------------------------------------------------------
def county_job(
    data_root,
    county: str,
    year: int,
    params_file,
    output_root,
    timeout: float,
    input_hash: str = "",
    params_hash: str = "",
    kernel: str = KERNEL,
    notebook=None,
    scope: list[str] | None = None,
) -> dict:
    """A plain dict describing one county's notebook run (absolute paths). ``scope``: the counties of the run
    (R09 compares against them), recorded so --resume reruns a county whose comparison set changed."""
    return {
        "data_root": str(resolve_path(data_root)),
        "county": check_county(county),
        "year": int(year),
        "params_file": str(resolve_path(params_file)),
        "output_root": str(resolve_path(output_root)),
        "timeout": float(timeout),
        "input_hash": input_hash,
        "params_hash": params_hash,
        "kernel": kernel,
        "notebook": str(notebook or COUNTY_NOTEBOOK),
        "scope": sorted(scope or [county]),
    }


def run_county_job(job: dict) -> dict:
    """Execute one county's notebook, render it, write ``run.json``; never raises for a county's failure."""
    county, year = job["county"], job["year"]
    files = county_paths(job["output_root"], year, county)
    files["dir"].mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    # a stale report or summary must never sit next to a failed run (the city roll-up reads summary.json); the
    # ledger is left alone: the county may have filled 整改状态 into it
    for k in ("html", "summary", "record"):  # run.json: the notebook writes its timings into a fresh one
        files[k].unlink(missing_ok=True)
    params = {
        "data_root": job["data_root"],
        "county": county,
        "audit_year": year,
        "output_root": job["output_root"],
        "params_file": job["params_file"],
    }
    if job.get("kept_kernel"):  # a local worker process: papermill here, the kernel kept between counties
        from .kept_kernel import kept_kernel

        res = kept_kernel(job["kernel"]).run(job["notebook"], files["ipynb"], params, files["log"], job["timeout"])
    else:
        res = execute_notebook(job["notebook"], files["ipynb"], params, files["log"], job["timeout"], job["kernel"])
    if res["status"] == "success":
        missing = [files[k].name for k in ("ledger", "summary") if not files[k].exists()]
        if missing:
            res.update(status="failed", error=f"笔记本运行完成但缺少输出：{'、'.join(missing)}")
    if res["status"] == "success":
        t0 = time.monotonic()
        try:
            render_html(files["ipynb"], files["html"])
        except (OSError, ValueError, ImportError, RuntimeError, HgkError) as err:
            res.update(status="failed", error=f"生成 HTML 报告失败：{type(err).__name__}: {err}")
        res["html_seconds"] = round(time.monotonic() - t0, 2)
    inner = read_json(files["record"]) or {}  # the county run's stage timings and per-rule seconds
    record = {
        "county": county,
        "name": county_name(county),
        "year": year,
        **res,
        "timings": inner.get("timings"),
        "rule_seconds": inner.get("rule_seconds"),
        "input_hash": job["input_hash"],
        "params_hash": job["params_hash"],
        "scope": job.get("scope"),
        "started_at": started,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "outputs": {k: str(v) for k, v in files.items() if k != "dir" and v.exists()},
    }
    write_json_atomic(files["record"], record)
    return record


def county_done(
    output_root, year: int, county: str, input_hash: str, params_hash: str, scope: list[str] | None = None
) -> bool:
    """Ledger, summary.json, ipynb and html exist, and run.json says success with the same hashes (and, when
    given, the same set of counties in the run, which R09 compares against)."""
    files = county_paths(output_root, year, county)
    if not all(files[k].exists() for k in ("ledger", "summary", "ipynb", "html")):
        return False
    rec = read_json(files["record"]) or {}
    return (
        rec.get("status") == "success"
        and rec.get("input_hash") == input_hash
        and rec.get("params_hash") == params_hash
        and (scope is None or rec.get("scope") == sorted(scope))
    )


# ---------------------------------------------------------------------------------------------------------------
# executing many jobs
# ---------------------------------------------------------------------------------------------------------------
def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="县", file=sys.stderr, disable=total == 0)


def run_jobs_local(jobs: list[dict], workers: int = 1, keep_kernels: bool = True) -> list[dict]:
    """Run jobs ``workers`` at a time. Each job runs in a worker process (spawned, so no state is inherited) that
    runs papermill for the notebook in a kernel it keeps between its counties (:mod:`.kept_kernel`; with
    ``keep_kernels=False`` a papermill process and kernel per county, :func:`~.notebook.papermill_command`) and
    renders its HTML; with one worker the jobs run one after another in this process, one papermill process per
    county."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    records = []
    workers = max(1, min(workers, len(jobs)))
    pool = (
        ThreadPoolExecutor(max_workers=1)
        if workers == 1
        else ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
    )
    with _progress(len(jobs), "县级核查") as bar, pool, _notebooks_killed_on_interrupt(pool):
        futures = {}
        for i, job in enumerate(jobs):
            futures[pool.submit(run_county_job, {**job, "kept_kernel": keep_kernels and workers > 1})] = job
            if i < workers:  # stagger the first kernel start-ups a little (port races)
                time.sleep(0.3)
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                rec = fut.result()
            except Exception as err:  # noqa: BLE001 - a crashed worker process is that county's failure
                rec = crashed_job_record(job, "工作进程失败", err)
            records.append(rec)
            bar.set_postfix_str(f"{rec['name']} {STATUS_LABELS.get(rec['status'], rec['status'])}")
            bar.update(1)
    return records


def crashed_job_record(job: dict, what: str, err: BaseException) -> dict:
    """The run record of a county whose job died outside papermill (worker process or Dask task lost)."""
    return {
        "county": job["county"],
        "name": county_name(job["county"]),
        "year": job["year"],
        "status": "failed",
        "error": f"{what}：{type(err).__name__}: {err}",
        "attempts": 1,
        "seconds": None,
        "input_hash": job["input_hash"],
        "params_hash": job["params_hash"],
    }


class _notebooks_killed_on_interrupt:
    """On Ctrl-C/SIGTERM in the runner: kill this process's papermill groups and drop queued jobs (worker processes
    get the SIGINT themselves and kill theirs in :func:`execute_notebook`)."""

    def __init__(self, pool):
        self.pool = pool

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None and not issubclass(kind, Exception):
            kill_live_notebooks()
            self.pool.shutdown(wait=False, cancel_futures=True)
        return False


def dask_client(scheduler: str, workers: int = 1):
    """A Dask client: ``local`` starts a LocalCluster of ``workers`` single-threaded processes."""
    from distributed import Client

    if scheduler == "local":  # the client owns the LocalCluster and closes it with itself
        return Client(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(scheduler, timeout="30s")


def run_jobs_dask(jobs: list[dict], client) -> list[dict]:
    """Submit the same county jobs to a Dask cluster (each runs papermill in a subprocess on its worker).

    Paths must be valid on the workers (a shared file system) and the ``hgk`` kernel registered there."""
    from distributed import as_completed as dask_completed

    check_workers(client, jobs[0])
    futures = submit_county_jobs(client, jobs)
    records = []
    with _progress(len(jobs), "县级核查（Dask）") as bar:
        for fut in dask_completed(list(futures)):
            job = futures[fut]
            try:
                rec = fut.result()
            except Exception as err:  # noqa: BLE001 - a lost worker is that county's failure, reported below
                rec = crashed_job_record(job, "Dask 任务失败", err)
            records.append(rec)
            bar.set_postfix_str(f"{rec['name']} {STATUS_LABELS.get(rec['status'], rec['status'])}")
            bar.update(1)
    return records


# ---------------------------------------------------------------------------------------------------------------
# city steps
# ---------------------------------------------------------------------------------------------------------------
def run_spot_check(data_root, output_root, year: int, params_file) -> dict:
    """The spot-check draw from the counties' saved results (:func:`hgk_lib.risk.cli.draw_from_results`) in this
    process; its failure is reported, not raised."""
    from ..report.mask import mask_text
    from ..risk.cli import draw_from_results

    t0 = time.monotonic()
    try:
        draw_from_results(resolve_path(data_root), int(year), resolve_path(output_root), params_file)
    except HgkError as err:
        return {"status": "failed", "error": mask_text(str(err)), "seconds": round(time.monotonic() - t0, 2)}
    except Exception as err:  # noqa: BLE001 - reported in run_summary.json and the exit code
        return {
            "status": "failed",
            "error": mask_text(f"{type(err).__name__}: {err}"),
            "seconds": round(time.monotonic() - t0, 2),
        }
    return {"status": "success", "error": None, "seconds": round(time.monotonic() - t0, 2)}


def run_city_notebook(
    output_root, year: int, params_file, timeout: float = 1800, kernel: str = KERNEL, as_of: str | None = None
) -> dict:
    """Execute and render ``city_summary.ipynb`` (always rerun); ``as_of``: the day the campaign progress (overdue,
    stage timeline, report) is computed for (default today)."""
    res = execute_city_notebook(output_root, year, params_file, timeout, kernel, as_of)
    return render_city_notebook(output_root, year, res)


def execute_city_notebook(
    output_root, year: int, params_file, timeout: float = 1800, kernel: str = KERNEL, as_of: str | None = None
) -> dict:
    """The papermill run of ``city_summary.ipynb`` (the HTML comes from :func:`render_city_notebook`)."""
    files = city_paths(output_root, year)
    files["dir"].mkdir(parents=True, exist_ok=True)
    files["html"].unlink(missing_ok=True)
    params = {
        "output_root": str(resolve_path(output_root)),
        "audit_year": int(year),
        "params_file": str(resolve_path(params_file)),
    }
    if as_of:
        params["as_of"] = str(as_of)
    return execute_notebook(CITY_NOTEBOOK, files["ipynb"], params, files["log"], timeout, kernel)


def render_city_notebook(output_root, year: int, res: dict) -> dict:
    """The auditors' HTML of an executed city notebook, and the city folder's files in ``res["outputs"]``."""
    files = city_paths(output_root, year)
    if res["status"] == "success":
        try:
            render_html(files["ipynb"], files["html"])
        except (OSError, ValueError, ImportError, RuntimeError, HgkError) as err:
            res.update(status="failed", error=f"生成 HTML 报告失败：{type(err).__name__}: {err}")
    res["outputs"] = {k: str(v) for k, v in files.items() if k != "dir" and v.exists()}
    return res


def plan_reconcile(beside_draw: bool, *args, **kwargs):
    """The campaign record's reconcile (:func:`hgk_lib.campaign.wire.reconcile_saved`; this run is its only writer,
    one county after another): ``(None, call)`` to run it beside the draw in a process of its own (``beside_draw``:
    both city steps run, and this process may start one), else ``(counts, None)`` once it has run here."""
    from ..campaign import wire

    if beside_draw and not _is_daemon():
        return None, lambda: in_own_process(wire.reconcile_saved, *args, **kwargs)
    return wire.reconcile_saved(*args, **kwargs), None


def _is_daemon() -> bool:
    """This process is a daemonic worker (it may not start processes of its own)."""
    import multiprocessing as mp

    return bool(mp.current_process().daemon)


def in_own_process(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a fresh (spawned) Python process, waited for here. Used for the campaign reconcile
    beside the draw: the draw forks helper processes from this process, so work beside it must not be a thread of
    it (a fork copies whatever lock another thread holds)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(fn, *args, **kwargs).result()


def run_city_steps(
    data_root,
    output_root,
    year: int,
    params_file,
    draw: bool,
    city: bool,
    kernel: str = KERNEL,
    as_of=None,
    reconcile=None,
) -> tuple[dict | None, dict | None, dict | None]:
    """The campaign reconcile (``reconcile``: a call returning its per-county counts), the spot-check draw
    (:func:`run_spot_check`, when ``draw``) and the city notebook (when ``city``); returns the draw's and the city
    notebook's step records and the reconcile's counts.

    The city summary reads the county results and the campaign record, never the draw's files; the draw reads
    neither the record nor the summary. So the draw starts at once in this process, while a waiting thread runs the
    reconcile (in a process of its own) and then the city notebook's papermill process. The waiting thread does no
    imports (they are done here first: the draw forks helper processes); the HTML is rendered here once both are
    done.
    """
    if not (draw and city):
        campaign = reconcile() if reconcile is not None else None
        spot = run_spot_check(data_root, output_root, year, params_file) if draw else None
        res = run_city_notebook(output_root, year, params_file, kernel=kernel, as_of=as_of) if city else None
        return spot, res, campaign
    import nbformat  # noqa: F401  (used by execute_notebook's masking, in the waiting thread)

    from ..report import mask  # noqa: F401

    def record_then_city():
        campaign = reconcile() if reconcile is not None else None
        return campaign, execute_city_notebook(output_root, year, params_file, 1800, kernel, as_of)

    with ThreadPoolExecutor(max_workers=1) as side:
        after = side.submit(record_then_city)
        try:
            spot = run_spot_check(data_root, output_root, year, params_file)
        except BaseException:  # Ctrl-C: the notebook's process group goes too
            kill_live_notebooks()
            raise
        campaign, res = after.result()
    return spot, render_city_notebook(output_root, year, res), campaign


def ensure_fixture_outputs(output_root, audit_year: int, params_file=None) -> list[str]:
    """Make sure the city notebook has county outputs to roll up when run with its defaults (nbval, a first try).

    When ``<output_root>/<year>/`` already holds a county ``summary.json``, nothing happens. Otherwise, only if
    ``output_root`` is the notebooks' default ``outputs/fixture``, the county run (library only) runs in this process for the
    committed fixture export (``tests/fixtures/export/2019``) and writes its ledgers and summaries; any other
    output root without county outputs is an error (a city report is never built from fixture data silently).
    Returns the county folders written (empty when outputs were already there).
    """
    root = resolve_path(output_root)
    year = int(audit_year)
    if county_summaries(root, year):
        return []
    if root != (paths.REPO_ROOT / paths.FIXTURE_OUTPUT_ROOT).resolve():
        raise InputError(
            "输出目录中没有任何县的核查结果（summary.json），请先运行 hgk audit", file=str(root / str(year))
        )
    written = []
    for c in find_counties(paths.FIXTURE_EXPORT):
        run = process_county(paths.FIXTURE_EXPORT, c, year, params_file, output_root=root)
        write_county_outputs(run, root)
        written.append(c)
    return written


def county_summaries(output_root, year: int) -> list[Path]:
    """Every ``<output_root>/<year>/<county>/summary.json`` (county folders only)."""
    d = resolve_path(output_root) / str(int(year))
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.glob("*/summary.json")):
        try:
            check_county(p.parent.name)
        except InputError:
            continue
        out.append(p)
    return out


# ---------------------------------------------------------------------------------------------------------------
# hgk audit
# ---------------------------------------------------------------------------------------------------------------
def summary_table(records: list[dict]) -> pd.DataFrame:
    rows = [
        {
            "县": r.get("name", r["county"]),
            "状态": STATUS_LABELS.get(r["status"], r["status"]),
            "用时（秒）": r.get("seconds"),
            "尝试次数": r.get("attempts"),
            "原因": r.get("error") or "",
        }
        for r in sorted(records, key=lambda r: r["county"])
    ]
    return pd.DataFrame(rows, columns=["县", "状态", "用时（秒）", "尝试次数", "原因"])


def run_audit(
    data,
    year: int,
    out,
    params=None,
    counties=None,
    workers: int = 1,
    scheduler=None,
    resume: bool = False,
    timeout: float = 3600,
    spot_check: bool = True,
    city: bool = True,
    kernel: str = KERNEL,
    client=None,
    quiet: bool = False,
    as_of=None,
    allow_older: bool = False,
    keep_kernels: bool = True,
) -> dict:
    """The whole city run; returns the run summary (also written to ``<out>/<year>/run_summary.json``).

    The campaign record (``<out>/<year>/campaign.sqlite``): before the county jobs, a county whose export is older
    than its last audited one is refused (unless ``allow_older``); after them, this process alone reconciles every
    county that succeeded (or was skipped) from its saved results (:func:`hgk_lib.campaign.wire.reconcile_saved`;
    the county jobs only read the record). ``as_of``: the day the run treats as today (default today).
    ``keep_kernels``: local workers keep their kernel between counties (:mod:`.kept_kernel`); False: a papermill
    process and kernel per county (``hgk audit --fresh-kernels``)."""
    from ..campaign import wire

    as_of = wire.as_of_date(as_of)
    t0 = time.monotonic()
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    year = int(year)
    out_root = resolve_path(out)
    data_root = resolve_path(data)
    params_file = resolve_path(params) if params else default_params_file(year)
    p = load_params(params_file)
    if int(p["year"]["audit_year"]) != year:
        raise InputError(f"参数文件的核查年度 {p['year']['audit_year']} 与 --year {year} 不一致", file=str(params_file))
    p_hash = params_hash(p)
    processed_root = default_processed_root(out_root)
    remove_stale_temporaries(out_root, year)
    # prepare: one load per county (skipped when fresh), the R09 index; a county that cannot be loaded is that
    # county's failure, reported by its notebook run (which loads it again and shows the error)
    county_list = find_counties(data_root, counties)
    prep_error = None
    own_client = None  # a remote scheduler: loading and the R09 joins go to the cluster too (hgk_lib/cluster.py)
    if client is None and scheduler and scheduler != "local":
        client = own_client = dask_client(scheduler, workers)
    try:
        info = prepare_city(
            data_root, year, processed_root, county_list, progress=not quiet, workers=workers, client=client
        )
        hashes = info["hashes"]
    except HgkError as err:
        prep_error = str(err)
        hashes = {c: input_hash(safe_path(data_root, c)) for c in county_list}
    jobs, skipped = [], []
    refused = wire.refused_exports(out_root, year, data_root, county_list, hashes, allow_older)
    for c in county_list:
        if c in refused:
            continue
        if resume and county_done(out_root, year, c, hashes[c], p_hash, county_list):
            skipped.append(c)
            continue
        jobs.append(
            county_job(data_root, c, year, params_file, out_root, timeout, hashes[c], p_hash, kernel, scope=county_list)
        )
    jobs.sort(key=lambda j: input_bytes(j["data_root"], j["county"]), reverse=True)  # largest county first
    if jobs:
        if client is not None:
            records = run_jobs_dask(jobs, client)
        elif scheduler:
            with dask_client(scheduler, workers) as cl:
                records = run_jobs_dask(jobs, cl)
        else:
            records = run_jobs_local(jobs, workers, keep_kernels)
    else:
        records = []
    if own_client is not None:
        own_client.close()
    for c in skipped:
        rec = read_json(county_paths(out_root, year, c)["record"]) or {"county": c}
        records.append(
            {
                **rec,
                "county": c,
                "name": county_name(c),
                "status": "skipped",
                "error": None,
                "seconds": 0.0,
                "attempts": 0,
            }
        )
    for c, why in refused.items():
        records.append(
            {
                "county": c,
                "name": county_name(c),
                "year": year,
                "status": "failed",
                "error": why,
                "attempts": 0,
                "seconds": 0.0,
                "input_hash": hashes.get(c),
                "params_hash": p_hash,
            }
        )
    records.sort(key=lambda r: r["county"])
    done = [r["county"] for r in records if r["status"] in ("success", "skipped")]
    failed = [r for r in records if r["status"] not in ("success", "skipped")]
    summary = {
        "year": year,
        "data": str(data_root),
        "output_root": str(out_root),
        "params_file": str(params_file),
        "params_hash": p_hash,
        "workers": workers,
        "scheduler": scheduler,
        "resume": resume,
        "started_at": started,
        "prepare_error": prep_error,
        "counties": records,
        "failed": [r["county"] for r in failed],
        "spot_check": None,
        "city": None,
        "as_of": as_of,
        "campaign": None,
    }
    cpaths = city_paths(out_root, year)
    draw = False
    if spot_check:
        draw_file = cpaths["dir"] / f"抽查名单_{year}.xlsx"
        if resume and not jobs and draw_file.exists():
            summary["spot_check"] = {"status": "skipped", "error": None}
        elif failed:  # the draw covers the whole city: never draw with a county missing
            summary["spot_check"] = {
                "status": "failed",
                "error": "有县核查失败，未生成抽查名单（修复后用 --resume 重跑）",
            }
        else:
            draw = True
    campaign, reconcile = plan_reconcile(
        draw and city, out_root, year, done, data_root, p, as_of=as_of, allow_older=allow_older, params_sha256=p_hash
    )
    spot, city_res, beside = run_city_steps(
        data_root, out_root, year, params_file, draw, city, kernel, as_of, reconcile=reconcile
    )
    if reconcile is not None:
        campaign = beside
    summary["campaign"] = campaign
    if draw:
        summary["spot_check"] = spot
    summary["city"] = city_res
    summary["seconds"] = round(time.monotonic() - t0, 2)
    summary["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    summary["ok"] = (
        not failed
        and (summary["spot_check"] or {}).get("status", "success") in ("success", "skipped")
        and (summary["city"] or {}).get("status", "success") == "success"
        and not any(r.get("error") for r in campaign.values())
    )
    write_json_atomic(safe_path(out_root, str(year), RUN_SUMMARY), summary)
    if not quiet:
        print_summary(summary)
    return summary


#: Temporary files of hgk's atomic writes (``io.safe.atomic_write``: ``.<name>.<random>.tmp<suffix>``; papermill's
#: ``.<name>.tmp.ipynb``; ``risk.model.save_model``: ``<name>.tmp``).
_STALE_TMP = re.compile(r"^\..+\.tmp(\.[A-Za-z0-9]+)?$|^.+\.(?:skops|json)\.tmp$")


def remove_stale_temporaries(output_root, year: int) -> list[Path]:
    """Delete temporary files a killed run left in hgk's own folders of ``output_root`` (``<year>/`` and
    ``_processed/<year>/``; two runs on one output root at once are not supported). Returns the files removed."""
    root = resolve_path(output_root)
    removed = []
    for d in (root / str(int(year)), default_processed_root(root) / str(int(year))):
        if not d.is_dir():
            continue
        for path in d.rglob("*"):
            if path.is_file() and not path.is_symlink() and _STALE_TMP.match(path.name):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def print_summary(summary: dict) -> None:
    table = summary_table(summary["counties"])
    print(
        f"\n核查年度 {summary['year']}：{len(table)} 个县，失败 {len(summary['failed'])} 个，"
        f"用时 {summary['seconds']:.1f} 秒"
    )
    print(table.to_string(index=False))
    for label, key in (("抽查抽样", "spot_check"), ("全市汇总", "city")):
        step = summary.get(key)
        if step:
            print(
                f"{label}：{STATUS_LABELS.get(step['status'], step['status'])}"
                + (f"（{step['error']}）" if step.get("error") else "")
            )
    if summary.get("campaign"):
        from ..campaign.wire import reconcile_lines

        print(f"整改记录（按日 {summary.get('as_of')}）：")
        for line in reconcile_lines(summary["campaign"]):
            print("  " + line)
    print(f"运行记录：{Path(summary['output_root']) / str(summary['year']) / RUN_SUMMARY}")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def run_audit_cli(args) -> int:
    """``hgk audit``: exit code 0 when everything succeeded, 1 when any county or city step failed."""
    old = signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill <pid>` stops the notebooks too, like Ctrl-C
    try:
        summary = run_audit(
            args.data,
            args.year,
            args.out,
            params=args.params,
            counties=args.county,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            timeout=args.timeout,
            spot_check=not args.no_spot_check,
            as_of=getattr(args, "as_of", None),
            allow_older=getattr(args, "allow_older", False),
            keep_kernels=not getattr(args, "fresh_kernels", False),
        )
    finally:
        signal.signal(signal.SIGTERM, old)
    return 0 if summary["ok"] else 1
