"""hgk audit (hgk_lib.orchestrate.batch): separate processes, retries on kernel start-up failures, a failing county does not stop
the others, --resume reruns only what failed, the Dask path, and no unmasked personal number in anything a run
writes besides the ledger."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hgk_lib.io.safe import write_json_atomic
from hgk_lib.orchestrate import batch as R
from hgk_lib.orchestrate import notebook as NB
from hgk_lib.orchestrate import paths as P

from helpers.paths import FIXTURE, PARAMS, fixture_counties  # noqa: F401


# ---------------------------------------------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rc, err, retry",
    [
        (1, "RuntimeError: Kernel didn't respond in 60 seconds", True),
        (1, "zmq.error.ZMQError: Address already in use", True),
        (1, "RuntimeError: Kernel died before replying to kernel_info", True),
        (138, "", True),
        (1, "papermill.exceptions.PapermillExecutionError: ... ZMQError in a cell", False),
        (1, "InputError: 找不到县目录", False),
        (0, "Kernel didn't respond", False),
    ],
)
def test_only_kernel_start_up_failures_are_retried(rc, err, retry):
    assert NB.is_kernel_failure(rc, err) is retry


def test_papermill_command_is_the_inspectors_command_with_parameters_kept_as_text():
    cmd = NB.papermill_command("nb.ipynb", "out.ipynb", {"county": "441825_连山壮族瑶族自治县", "audit_year": 2019})
    assert cmd[:3] == [sys.executable, "-m", "hgk_lib.orchestrate.papermill_cli"]
    assert cmd[cmd.index("-k") + 1] == "hgk"
    params = json.loads(cmd[cmd.index("-y") + 1])
    assert params == {"county": "441825_连山壮族瑶族自治县", "audit_year": 2019}


def test_the_notebook_command_is_papermills_own_cli_without_the_slow_iri_checker():
    """The child is papermill's command line (same options, same help), and never imports rfc3987_syntax, whose
    grammar compile cost every county 2.3 s of CPU."""
    code = (
        "import sys, runpy; sys.argv = ['papermill', '--help']\n"
        "try:\n    runpy.run_module('hgk_lib.orchestrate.papermill_cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "import jsonschema, nbformat\n"
        "print('LOADED' if sys.modules.get('rfc3987_syntax') else 'SKIPPED')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "--parameters_yaml" in out and "--kernel" in out and out.strip().endswith("SKIPPED")


def test_children_get_a_fixed_hash_seed_and_a_headless_backend(monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    env = NB.child_env()
    assert env["PYTHONHASHSEED"] == "0" and env["MPLBACKEND"] == "Agg"


def test_resume_needs_every_output_and_a_successful_record_with_the_same_hashes(tmp_path):
    c = "441881_英德市"
    paths = P.county_paths(tmp_path, 2019, c)
    paths["dir"].mkdir(parents=True)
    for k in ("ledger", "summary", "ipynb", "html"):
        paths[k].write_text("x")
    assert not R.county_done(tmp_path, 2019, c, "h", "p")  # no record
    write_json_atomic(paths["record"], {"status": "success", "input_hash": "h", "params_hash": "p"})
    assert R.county_done(tmp_path, 2019, c, "h", "p")
    assert not R.county_done(tmp_path, 2019, c, "h2", "p")  # input changed
    assert not R.county_done(tmp_path, 2019, c, "h", "p2")  # parameters changed
    write_json_atomic(
        paths["record"], {"status": "success", "input_hash": "h", "params_hash": "p", "scope": [c, "441882_连州市"]}
    )
    assert R.county_done(tmp_path, 2019, c, "h", "p", ["441882_连州市", c])
    assert not R.county_done(tmp_path, 2019, c, "h", "p", [c])  # R09 compared against another set of counties
    paths["html"].unlink()
    assert not R.county_done(tmp_path, 2019, c, "h", "p")
    write_json_atomic(paths["record"], {"status": "failed", "input_hash": "h", "params_hash": "p"})
    paths["html"].write_text("x")
    assert not R.county_done(tmp_path, 2019, c, "h", "p")


def test_city_notebook_refuses_to_invent_outputs_for_a_foreign_output_root(tmp_path):
    from hgk_lib.errors import InputError

    with pytest.raises(InputError, match="没有任何县"):
        R.ensure_fixture_outputs(tmp_path, 2019, PARAMS)


@pytest.mark.parametrize("flag, kept", [([], True), (["--fresh-kernels"], False)])
def test_workers_keep_their_kernels_unless_fresh_kernels_is_given(tmp_path, monkeypatch, flag, kept):
    from hgk_lib.cli import main

    seen = {}
    monkeypatch.setattr(R, "run_audit", lambda *a, **kw: seen.update(kw) or {"ok": True})
    assert main(["audit", "--data", str(tmp_path), "--year", "2019", "--out", str(tmp_path), *flag]) == 0
    assert seen["keep_kernels"] is kept


def test_the_draw_and_the_city_notebook_run_side_by_side(tmp_path, monkeypatch):
    """The city summary reads none of the draw's files, and the draw does not read the campaign record: the draw
    runs while the record is reconciled and then the city notebook runs (each step waits for the other to start;
    run one after the other, they would never meet). The notebook starts only once the record is reconciled."""
    import threading

    meet = threading.Barrier(2, timeout=20)
    order = []

    def reconcile():
        meet.wait()  # the draw is running
        order.append("reconcile")
        return {"441825_连山壮族瑶族自治县": {"new": 1}}

    def notebook(*args):
        order.append("notebook")
        meet.wait()  # the draw is still running
        return {"status": "success", "error": None}

    def draw(*args):
        meet.wait()
        meet.wait()
        return {"status": "success", "error": None}

    monkeypatch.setattr(R, "execute_city_notebook", notebook)
    monkeypatch.setattr(R, "run_spot_check", draw)
    monkeypatch.setattr(R, "render_html", lambda ipynb, html: Path(html))
    spot, city, campaign = R.run_city_steps(tmp_path, tmp_path, 2019, PARAMS, draw=True, city=True, reconcile=reconcile)
    assert spot["status"] == "success" and city["status"] == "success"
    assert order == ["reconcile", "notebook"] and campaign == {"441825_连山壮族瑶族自治县": {"new": 1}}
    # one step alone runs without waiting for the other, after the reconcile
    meet, order = threading.Barrier(1), []
    spot, city, campaign = R.run_city_steps(
        tmp_path, tmp_path, 2019, PARAMS, draw=False, city=True, reconcile=reconcile
    )
    assert spot is None and city["status"] == "success" and order == ["reconcile", "notebook"]


@pytest.mark.parametrize("beside, daemon", [(True, False), (True, True), (False, False)])
def test_the_record_is_reconciled_beside_the_draw_only_from_a_process_that_may_start_one(monkeypatch, beside, daemon):
    """A daemonic worker process may not start a process of its own, and without both city steps nothing runs
    beside: there the record is reconciled first, here; otherwise the city steps get the call to run."""
    from hgk_lib.campaign import wire

    calls = []
    monkeypatch.setattr(R, "_is_daemon", lambda: daemon)
    monkeypatch.setattr(wire, "reconcile_saved", lambda *a, **k: calls.append(a) or {"c": {"new": 0}})
    monkeypatch.setattr(R, "in_own_process", lambda fn, *a, **k: fn(*a, **k))
    counts, call = R.plan_reconcile(beside, "out", 2019)
    if beside and not daemon:
        assert counts is None and calls == [] and call() == {"c": {"new": 0}} and calls == [("out", 2019)]
    else:
        assert call is None and counts == {"c": {"new": 0}} and calls == [("out", 2019)]


def test_the_reconcile_beside_the_draw_runs_in_a_process_of_its_own(tmp_path):
    """The record's reconcile beside the draw runs in a spawned process (the draw forks helpers from this one) and
    gives what the in-process call gives."""
    import os

    from hgk_lib.campaign import wire

    pid = R.in_own_process(os.getpid)
    assert isinstance(pid, int) and pid != os.getpid()
    params = R.load_params(PARAMS)
    here = wire.reconcile_saved(tmp_path, 2019, ["441825_连山壮族瑶族自治县"], tmp_path, params)
    there = R.in_own_process(wire.reconcile_saved, tmp_path, 2019, ["441825_连山壮族瑶族自治县"], tmp_path, params)
    assert there == here and "error" in here["441825_连山壮族瑶族自治县"]


# ---------------------------------------------------------------------------------------------------------------
# end to end on the fixture export
# ---------------------------------------------------------------------------------------------------------------
def _copy_fixture(tmp: Path) -> Path:
    data = tmp / "export" / "2019"
    shutil.copytree(FIXTURE, data)
    return data


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """``hgk audit`` on the 2-county fixture with 2 workers (spot check and city summary included)."""
    fixture_counties()  # fails when the committed export is missing
    from hgk_lib.cli import main

    tmp = tmp_path_factory.mktemp("audit")
    data = _copy_fixture(tmp)
    out = tmp / "outputs"
    rc = main(["audit", "--data", str(data), "--year", "2019", "--out", str(out), "--workers", "2"])
    return {
        "rc": rc,
        "data": data,
        "out": out,
        "summary": json.loads((out / "2019" / "run_summary.json").read_text(encoding="utf-8")),
    }


@pytest.mark.slow
def test_full_run_writes_every_county_output_and_the_city_summary(full_run):
    summary = full_run["summary"]
    assert [r["status"] for r in summary["counties"]] == ["success", "success"], summary
    for c in fixture_counties():
        paths = P.county_paths(full_run["out"], 2019, c)
        for k in ("ledger", "summary", "ipynb", "html", "log", "record"):
            assert paths[k].exists(), (c, k)
    city = P.city_paths(full_run["out"], 2019)
    assert city["html"].exists() and city["xlsx"].exists() and city["ipynb"].exists()
    assert summary["city"]["status"] == "success"
    assert summary["spot_check"]["status"] == "success", summary["spot_check"]
    assert (city["dir"] / "抽查名单_2019.xlsx").exists()
    assert "spot_list" in summary["city"]["outputs"]  # listed after both city steps are done
    assert full_run["rc"] == 0 and summary["ok"]


@pytest.mark.slow
def test_nothing_a_run_writes_holds_an_unmasked_personal_number(full_run):
    from hgk_lib.report.mask import find_unmasked_pii

    files = [
        p
        for p in full_run["out"].rglob("*")
        if p.suffix in (".html", ".ipynb", ".log", ".json") and "_processed" not in p.parts
    ]
    assert len(files) >= 2 * 5 + 3
    leaks = {str(p.relative_to(full_run["out"])): find_unmasked_pii(p.read_text(encoding="utf-8"))[:3] for p in files}
    assert {k: v for k, v in leaks.items() if v} == {}


@pytest.mark.slow
def test_a_failing_county_does_not_stop_the_others_and_resume_reruns_only_it(tmp_path, capsys):
    data = _copy_fixture(tmp_path)
    good, bad = fixture_counties()
    hh = sorted((data / bad).glob("贫困户信息.*"))[0]
    original = hh.read_bytes()
    hh.write_bytes(b"PK\x03\x04 this is not a workbook")
    out = tmp_path / "outputs"
    s1 = R.run_audit(data, 2019, out, params=PARAMS, workers=2, spot_check=False, city=False)
    status = {r["county"]: r["status"] for r in s1["counties"]}
    assert status == {good: "success", bad: "failed"}
    assert not s1["ok"] and s1["failed"] == [bad]
    assert P.county_paths(out, 2019, bad)["ipynb"].exists()  # kept for debugging
    assert not P.county_paths(out, 2019, bad)["html"].exists()
    on_disk = json.loads((out / "2019" / "run_summary.json").read_text(encoding="utf-8"))
    assert on_disk["failed"] == [bad] and on_disk["counties"][1]["error"]
    printed = capsys.readouterr().out
    assert "失败" in printed and P.county_name(bad) in printed
    good_record = json.loads(P.county_paths(out, 2019, good)["record"].read_text(encoding="utf-8"))

    hh.write_bytes(original)
    s2 = R.run_audit(data, 2019, out, params=PARAMS, workers=2, resume=True, spot_check=False, city=False)
    status = {r["county"]: r["status"] for r in s2["counties"]}
    assert status == {good: "skipped", bad: "success"}
    assert s2["ok"]
    assert json.loads(P.county_paths(out, 2019, good)["record"].read_text(encoding="utf-8")) == good_record


@pytest.mark.slow
def test_the_same_jobs_run_on_a_dask_cluster(tmp_path):
    import distributed

    data = _copy_fixture(tmp_path)
    out = tmp_path / "outputs"
    with (
        distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        s = R.run_audit(
            data, 2019, out, params=PARAMS, counties=fixture_counties()[:1], spot_check=False, city=False, client=client
        )
    assert [r["status"] for r in s["counties"]] == ["success"]
    paths = P.county_paths(out, 2019, fixture_counties()[0])
    assert paths["html"].exists() and paths["ledger"].exists()


@pytest.mark.slow
def test_city_notebook_defaults_fill_the_default_output_root_from_the_fixture_once(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(P, "FIXTURE_EXPORT", FIXTURE)
    out = tmp_path / "outputs" / "fixture"
    assert R.ensure_fixture_outputs(out, 2019, PARAMS) == fixture_counties()
    assert len(R.county_summaries(out, 2019)) == 2
    assert R.ensure_fixture_outputs(out, 2019, PARAMS) == []  # outputs exist: nothing is redone
