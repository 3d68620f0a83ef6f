"""The county run: load (or reuse processed data) → 95 rules → desk audit → save results; then the ledger.

::

    run = process_county(data_root, county, audit_year, params_file, output_root=output_root)  # -> CountyRun
    paths = write_county_outputs(run, output_root)   # results/ (typed parquet) + ledger + summary.json

:func:`save_county_results` writes the county's results (:mod:`hgk_lib.results`) under
``<output_root>/<year>/<county>/results/``; every later step reads them. ``hgk check`` is :func:`run_check`: the
same county runs without notebooks, writing the same results in the same place.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import HgkError, InputError
from ..io.safe import write_json_atomic as write_record
from ..params import default_params_file, load_params
from ..results import AUDIT_TABLES, ITEM_SOURCES, save_results, with_item_ids
from .paths import (
    CITY_DIRNAME,
    check_county,
    county_name,
    county_output_dir,
    default_processed_root,
    input_hash,
    output_names,
    params_hash,
    processed_dir,
    resolve_path,
    safe_path,
)
from .processed import STAMP_FILE, _load, is_fresh, others_from_index, prepare_city, read_json


@dataclass
class CountyRun:
    """One county's audit: what the notebook shows and the ledger holds."""

    county: str
    year: int
    data: object  # hgk_lib.io.CountyData
    findings: pd.DataFrame
    rule_summary: pd.DataFrame
    audit: object  # hgk_lib.audit.AuditResult
    params: dict
    params_file: Path
    provenance: dict
    input_hash: str = ""
    params_hash: str = ""
    others: list[str] = field(default_factory=list)
    data_root: str = ""
    #: seconds per stage (prepare, load, rules, audit, results, ledger, summary): for run.json, never the ledger
    timings: dict = field(default_factory=dict)
    #: the integrity screen (hgk_lib.integrity.wiring.screen_county): unit table and flagged units' households
    integrity: pd.DataFrame | None = None
    integrity_items: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return county_name(self.county)


def build_provenance(
    county: str, year: int, params: dict, params_file, data, in_hash: str, p_hash: str, others: list[str]
) -> dict:
    """County, year, run time, parameters, input files with SHA-256, versions, seed (what 说明 shows).

    The common part comes from :func:`hgk_lib.report.provenance.collect_provenance`; this adds the county, the
    folder's input hash (the runner's freshness key) and the other counties R09 compared against.
    """
    from ..report.provenance import collect_provenance

    prov = collect_provenance(
        getattr(data, "files", None), params, params.get("spot_check", {}).get("seed"), params_file=params_file
    )
    prov.update(
        {
            "county": county,
            "county_name": county_name(county),
            "audit_year": int(year),
            "params": params,
            "params_hash": p_hash,
            "input_hash": in_hash,
            "r09_other_counties": list(others),
        }
    )
    return prov


def process_county(
    data_root, county: str, audit_year: int, params_file=None, processed_root=None, output_root=None
) -> CountyRun:
    """Load (or reuse fresh processed data), run the 95 rules and the audit for one county.

    ``processed_root`` defaults to ``<output_root>/_processed`` (``output_root`` defaults to ``outputs``).
    When the processed data is stale or missing (or there is no index holding the county), the whole export is
    prepared first (:func:`prepare_city`), so a notebook run on its own still checks R09 against every county of
    its export.
    """
    county = check_county(county)  # before anything is read or imported
    clock = _Clock()

    from ..audit import audit_county, with_audit_findings
    from ..io import read_processed
    from ..rules.engine import make_context, run_rules

    year = int(audit_year)
    root = resolve_path(data_root)
    pfile = resolve_path(params_file) if params_file else default_params_file(year)
    params = load_params(pfile)
    if int(params["year"]["audit_year"]) != year:
        raise InputError(
            f"参数文件的核查年度 {params['year']['audit_year']} 与 audit_year={year} 不一致", file=str(pfile)
        )
    if processed_root is None:
        processed_root = default_processed_root(output_root if output_root is not None else "outputs")
    proot = resolve_path(processed_root)
    folder = safe_path(root, county)
    if not folder.is_dir():
        raise InputError("找不到县目录", file=str(folder))
    in_hash = input_hash(folder)
    others = others_from_index(proot, year, county)
    index_stamp = read_json(safe_path(proot, str(year), CITY_DIRNAME, STAMP_FILE)) or {}
    if (
        not is_fresh(proot, year, county, in_hash)
        or others is None
        or index_stamp.get("hashes", {}).get(county) != in_hash
    ):
        # the run's counties = those of the index (plus this one); no index: every county of the export
        known = (
            sorted(c for c in set(index_stamp["hashes"]) | {county} if (root / c).is_dir())
            if index_stamp.get("hashes")
            else None
        )
        info = prepare_city(root, year, proot, known)
        if county in info["failed"]:
            _load(root, county, year)  # raises the loader's own error for this county
            raise InputError(f"无法读取县数据：{info['failed'][county]}", file=str(folder))
        others = others_from_index(proot, year, county) or {}
    clock.lap("prepare")
    data = read_processed(processed_dir(proot, year, county))
    clock.lap("load")
    p_hash = params_hash(params)
    ctx = make_context(data.tables, params, county, others=others, quarantined_hh=getattr(data, "quarantined_hh", None))
    rr = run_rules(ctx)
    findings = with_item_ids("findings", rr.findings, county)
    clock.lap("rules")
    # incomes verified at the door in earlier visits (the campaign record, read only) feed the verdicts
    verified = campaign_verified_incomes(output_root, year, county)
    audit = audit_county(data.tables, params, findings, verified=verified)
    # + the audit's own rows of 问题清单 (公益性岗位不稳定), with their item ids
    findings = with_audit_findings(findings, audit, params, county)
    extra = findings.index >= len(rr.findings)
    if extra.any():
        findings.loc[extra, "item_id"] = with_item_ids("findings", findings[extra].drop(columns="item_id"), county)[
            "item_id"
        ]
    clock.lap("audit")
    from ..integrity.wiring import screen_county

    integrity, integrity_items = screen_county(data.tables, audit, params)  # seed = the run's (spot_check.seed)
    clock.lap("integrity")
    prov = build_provenance(county, year, params, pfile, data, in_hash, p_hash, sorted(others))
    return CountyRun(
        county=county,
        year=year,
        data=data,
        findings=findings,
        rule_summary=rr.summary,
        audit=audit,
        params=params,
        params_file=pfile,
        provenance=prov,
        input_hash=in_hash,
        params_hash=p_hash,
        others=sorted(others),
        data_root=str(root),
        timings=clock.laps,
        integrity=integrity,
        integrity_items=integrity_items,
    )


def campaign_verified_incomes(output_root, year: int, county: str) -> pd.DataFrame | None:
    """The county's verified incomes from the year's campaign record (read only; None without a record or
    ``output_root``)."""
    if output_root is None:
        return None
    from ..campaign.wire import county_verified_incomes

    return county_verified_incomes(resolve_path(output_root), year, county)


class _Clock:
    """Seconds between laps (``laps``: stage -> seconds, rounded to 0.01)."""

    def __init__(self):
        self.t = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.t, 2)
        self.t = now


def record_timings(run: CountyRun, output_root) -> Path:
    """Write the run's stage timings and per-rule seconds to the county's ``run.json`` (the batch keeps them in
    its record); timings never go into the ledger, so reruns give identical workbooks."""
    path = safe_path(county_output_dir(output_root, run.year, run.county), output_names(run.county, run.year)["record"])
    rs = run.rule_summary
    rule_seconds = {str(r): float(s) for r, s in zip(rs["rule_id"], rs["seconds"])} if "seconds" in rs else {}
    rec = {**(read_json(path) or {}), "county": run.county, "timings": dict(run.timings), "rule_seconds": rule_seconds}
    return write_record(path, rec)


def report_inputs(run: CountyRun) -> dict:
    """The keyword arguments the report package's ledger writer and summary builder both take."""
    d = run.data
    return dict(
        county_folder=run.county,
        county_name=run.name,
        year=run.year,
        findings=run.findings,
        rule_summary=run.rule_summary,
        audit=run.audit,
        quarantine=getattr(d, "quarantine", None),
        row_ledger=getattr(d, "ledger", None),
        files=getattr(d, "files", None),
        params=run.params,
        provenance=run.provenance,
        households=d.tables.get("household"),
        members=d.tables.get("member"),
    )


def county_summary(run: CountyRun) -> dict:
    """``summary.json`` content: the report package's counts plus the runner's freshness keys."""
    from ..report.summary import build_county_summary

    summary = build_county_summary(**report_inputs(run))
    summary["input_hash"] = run.input_hash
    summary["params_hash"] = run.params_hash
    summary["r09_other_counties"] = list(run.others)
    return summary


def result_tables(run: CountyRun) -> dict[str, pd.DataFrame]:
    """The county's results as saved (:data:`hgk_lib.results.TABLES`): findings, rule summary, the audit's tables
    (household-level problems with their item ids), quarantine, row ledger and the spot-check draw's facts."""
    from ..risk.features import county_risk_tables

    out = {"findings": run.findings, "rule_summary": run.rule_summary}
    for attr, name in AUDIT_TABLES.items():
        df = getattr(run.audit, attr)
        out[name] = with_item_ids(name, df, run.county) if name in ITEM_SOURCES else df
    out["audit_notes"] = pd.DataFrame({"note": [str(x) for x in run.audit.notes]}, dtype=object)
    out["quarantine"] = getattr(run.data, "quarantine", None)
    out["row_ledger"] = getattr(run.data, "ledger", None)
    out.update(county_risk_tables(run.data.tables, run.params, run.findings, run.audit.verdicts, run.county))
    out["integrity"], out["integrity_items"] = run.integrity, run.integrity_items
    return out


def save_county_results(run: CountyRun, output_root) -> Path:
    """Save the county's results under ``<output_root>/<year>/<county>/results/`` (:func:`hgk_lib.results.save_results`)."""
    return save_results(
        county_output_dir(output_root, run.year, run.county),
        result_tables(run),
        county=run.county,
        year=run.year,
        input_sha256=run.input_hash,
        params_sha256=run.params_hash,
    )


def write_county_outputs(run: CountyRun, output_root) -> dict[str, Path]:
    """Save the county's results, then write the inspectors' ledger and ``summary.json`` under
    ``<output_root>/<year>/<county>/`` (each atomically) and the stage timings into its ``run.json``."""
    from ..report.ledger import write_county_ledger
    from ..report.summary import write_json_atomic
    from ..visit import write_county_visit_plan

    out_dir = county_output_dir(output_root, run.year, run.county)
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = _Clock()
    results = save_county_results(run, output_root)
    clock.lap("results")
    names = output_names(run.county, run.year)
    ledger = safe_path(out_dir, names["ledger"])
    summary_path = safe_path(out_dir, names["summary"])
    summary = county_summary(run)
    status = ledger_status(ledger)
    backup = backup_filled_ledger(ledger, status)
    carry_over = status if backup is not None else None
    campaign = campaign_view(run, output_root)
    write_county_ledger(
        ledger,
        summary=summary,
        carry_over=carry_over,
        states=campaign["states"],
        spot_check=campaign["spot"],
        integrity=run.integrity,
        **report_inputs(run),
    )
    clock.lap("ledger")
    write_json_atomic(summary_path, summary)
    clock.lap("summary")
    from ..integrity.wiring import visit_flags

    # 入户核查计划 (campaign.md §1), after the ledger; + 数据真实性复核 for the flagged integrity units' households
    visit_plan = write_county_visit_plan(
        run, out_dir, states=campaign["states"], entries=campaign["visits"], integrity=visit_flags(run.integrity_items)
    )
    clock.lap("visit_plan")
    run.timings.update(clock.laps)
    record_timings(run, output_root)
    out = {"dir": out_dir, "ledger": ledger, "summary": summary_path, "results": results, "visit_plan": visit_plan}
    if backup is not None:
        out["backup"] = backup
    return out


def campaign_view(run: CountyRun, output_root) -> dict:
    """What the regenerated ledger and visit plan show from the campaign record (read only; the parent reconciles
    after the county jobs): each item's state after this audit and the county's 整改说明 (``states``), the rows of
    市抽查整改意见 (``spot``) and the visit results last read back (``visits``: households, items)."""
    from ..campaign import wire

    root = resolve_path(output_root)
    tables = {"findings": run.findings}
    for name in ("needs", "verdicts", "dynamic", "classes"):  # as saved: with their item ids
        tables[name] = with_item_ids(name, getattr(run.audit, name), run.county)
    items = wire.campaign_items(tables, run.county, run.year, run.params)
    return {
        "states": wire.ledger_states(root, run.year, run.county, items, run.input_hash),
        "spot": wire.spot_rows(root, run.year, run.county, run.data.tables.get("household")),
        "visits": wire.visit_entries(root, run.year, run.county),
    }


def ledger_status(ledger: Path) -> pd.DataFrame | None:
    """The 整改状态/整改说明 rows of an existing ledger (read once: to back it up and to carry them over)."""
    from ..report.ledger import read_ledger_status

    if not ledger.exists():
        return None
    status, _ = read_ledger_status(ledger)
    return status if len(status) else None


def backup_filled_ledger(ledger: Path, status: pd.DataFrame | None = None) -> Path | None:
    """Before a ledger is rewritten: if the county has filled it in (整改状态 other than 未整改, or 整改说明), keep
    a copy under ``备份/`` (``回头看台账_<县名>_<year>_<UTC time>.xlsx``) and return its path; else None.

    A rerun writes a fresh ledger from the data; the county's entries are never silently lost."""
    import shutil

    from ..report.ledger import STATUS_DEFAULT

    if status is None:
        status = ledger_status(ledger)
    if status is None or status.empty:
        return None
    st = status["status"].astype(object)
    note = status["note"].astype(object)
    filled = (st.notna() & (st != STATUS_DEFAULT)) | note.map(lambda v: isinstance(v, str) and v.strip() != "")
    if not filled.any():
        return None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = safe_path(ledger.parent, "备份", f"{ledger.stem}_{stamp}{ledger.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ledger, target)
    return target


# ---------------------------------------------------------------------------------------------------------------
# hgk check
# ---------------------------------------------------------------------------------------------------------------
def run_check(
    data_root,
    year: int,
    output_root,
    params_file=None,
    counties: list[str] | None = None,
    workers: int = 1,
    progress: bool = True,
    as_of=None,
    allow_older: bool = False,
) -> dict:
    """The county runs without notebooks: load (processed data under ``<output_root>/_processed``), rules, audit,
    and each county's results saved under ``<output_root>/<year>/<county>/results/`` (the same files the county
    notebook saves); then, like ``hgk audit``, the campaign record is reconciled from the saved results (an older
    export is refused unless ``allow_older``). Returns ``{"counties": [...], "counts": [check_counts rows],
    "failed": {county: error}, "campaign": {county: counts}}``."""
    from ..campaign import wire

    year = int(year)
    as_of = wire.as_of_date(as_of)
    out_root = resolve_path(output_root)
    params_file = resolve_path(params_file) if params_file else default_params_file(year)
    params = load_params(params_file)
    proot = default_processed_root(out_root)
    info = prepare_city(data_root, year, proot, counties, progress=progress, workers=workers)
    rows, failed = [], {}
    failed.update(
        wire.refused_exports(
            out_root, year, resolve_path(data_root), info["counties"], info.get("hashes") or {}, allow_older
        )
    )
    for c in info["counties"]:
        if c in failed:
            continue
        try:
            run = process_county(data_root, c, year, params_file, processed_root=proot, output_root=out_root)
            clock = _Clock()
            save_county_results(run, out_root)
            clock.lap("results")
            run.timings.update(clock.laps)
            record_timings(run, out_root)
        except HgkError as err:
            failed[c] = str(err)
            continue
        rows.append(check_counts(run))
    done = [c for c in info["counties"] if c not in failed]
    campaign = wire.reconcile_saved(
        out_root,
        year,
        done,
        resolve_path(data_root),
        params,
        as_of=as_of,
        allow_older=allow_older,
        params_sha256=params_hash(params),
    )
    return {"counties": info["counties"], "counts": rows, "failed": failed, "campaign": campaign, "as_of": as_of}


def run_check_cli(args) -> int:
    """``hgk check``: :func:`run_check`, then a Chinese table of counts."""
    res = run_check(
        args.data,
        args.year,
        args.out,
        args.params,
        args.county,
        as_of=getattr(args, "as_of", None),
        allow_older=getattr(args, "allow_older", False),
    )
    out_root = resolve_path(args.out)
    print(
        f"核查年度 {int(args.year)}：共 {len(res['counties'])} 个县，结果写入 {out_root / str(int(args.year))}"
        f"（各县 results/ 目录）"
    )
    if res["counts"]:
        print(pd.DataFrame(res["counts"]).to_string(index=False))
    if res.get("campaign"):
        from ..campaign.wire import reconcile_lines

        print(f"整改记录（按日 {res['as_of']}）：")
        for line in reconcile_lines(res["campaign"]):
            print("  " + line)
    for c, err in res["failed"].items():
        print(f"失败：{c}：{err}", file=sys.stderr)
    bad = any(r.get("error") for r in (res.get("campaign") or {}).values())
    return 1 if res["failed"] or bad else 0


def check_counts(run: CountyRun) -> dict:
    """Chinese headline counts of one county (printed by ``hgk check``, shown by the notebook)."""
    f, s = run.findings, run.rule_summary
    v = getattr(run.audit, "verdicts", None)
    needs = getattr(run.audit, "needs", None)
    status = s["status"].astype(str) if "status" in s else pd.Series(dtype=str)
    return {
        "县": run.name,
        "户数": len(run.data.tables.get("household", [])),
        "人数": len(run.data.tables.get("member", [])),
        "问题数": len(f),
        "涉及户数": int(f["hh_id"].dropna().nunique()) if "hh_id" in f else 0,
        "未运行规则": int((~rule_ran(status)).sum()) if len(status) else 0,
        "已脱贫户核查结论": len(v) if isinstance(v, pd.DataFrame) else 0,
        "三保障问题": len(needs) if isinstance(needs, pd.DataFrame) else 0,
        "隔离行": len(getattr(run.data, "quarantine", []) if getattr(run.data, "quarantine", None) is not None else []),
    }


def rule_ran(status: pd.Series) -> pd.Series:
    """False where a rule-summary status says the rule did not run (the engine writes 未运行（无数据） etc.)."""
    return ~status.astype(object).astype(str).str.startswith("未运行")
