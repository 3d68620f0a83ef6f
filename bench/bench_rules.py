"""Benchmark: all rules on canonical tables (after loading), per county, with a per-rule time table.

Targets: the default demo export (~15,000 households) under 5 s; province size (~650,000 households, ~1.7M people)
under 60 s and under 6 GB peak memory.

Sources of tables:
  * ``--source demo``: ``hgk demo-data --format csv`` into a temporary folder, loaded with ``hgk_lib.io.load_county``
    (the loading time is reported separately and excluded from the rule time);
  * ``--source synthetic`` (default when the demo generator is absent): a vectorised generator of canonical tables
    in this file (valid IDs, 4 income years, measures, a project library, a few planted errors).

Usage::

    python bench/bench_rules.py                       # demo if available (~15,000 households), else synthetic
    python bench/bench_rules.py --source synthetic --households 650000 --counties 8
    python bench/bench_rules.py --source demo --households 650000

Prints the total rule time, the peak resident memory (ru_maxrss) and the per-rule time table (all counties summed).
With the demo export (or ``--truth DIR`` naming its ground-truth folder) it also compares the findings with the
planted problems (``planted.csv``): missed planted rows and findings that were not planted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hgk_lib import schema as S  # noqa: E402

COUNTIES = list(S.QINGYUAN_COUNTIES.items())
W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CC = np.array(list("10X98765432"))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------------------------------------------------------
# synthetic canonical tables (vectorised)
# ---------------------------------------------------------------------------------------------------------------
def _ids(region: str, birth: pd.Series, male: np.ndarray, rng) -> np.ndarray:
    n = len(birth)
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    first17 = (
        region
        + birth.dt.strftime("%Y%m%d").to_numpy().astype(object)
        + np.char.zfill(seq.astype(str), 3).astype(object)
    )
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    check = CC[(digits.astype(np.int64) @ W) % 11]
    return (first17 + check.astype(object)).astype(object)


def _obj(a) -> pd.Series:
    """Object Series whose repeated values share one str object (as a loader mapping codes to labels does)."""
    a = np.asarray(a)
    if a.dtype.kind == "U":
        cat = pd.Categorical(a)
        cats = np.asarray(cat.categories, dtype=object)
        return pd.Series(cats[cat.codes], dtype=object)
    if a.dtype == object and len(a) and len(a) > 1000:
        notna = pd.notna(a)
        if notna.any():
            cat = pd.Categorical(a[notna])
            if len(cat.categories) < len(a) // 10:
                out = np.full(len(a), None, dtype=object)
                out[notna] = np.asarray(cat.categories, dtype=object)[cat.codes]
                return pd.Series(out, dtype=object)
    return pd.Series(a.astype(object), dtype=object)


def synth_county(code: str, n_hh: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    hh_ids = np.char.add(f"{code}", np.char.zfill(np.arange(n_hh).astype(str), 7)).astype(object)
    size = rng.choice([1, 2, 3, 4, 5, 6], n_hh, p=[0.15, 0.25, 0.25, 0.2, 0.1, 0.05])
    n = int(size.sum())
    hh_of = np.repeat(np.arange(n_hh), size)
    pos = np.arange(n) - np.repeat(np.cumsum(size) - size, size)
    male = np.where(pos == 0, rng.random(n) < 0.8, rng.random(n) < 0.5)
    head_male = np.repeat(male[pos == 0], size)
    male = np.where(pos == 1, ~head_male, male)
    age = np.where(pos == 0, rng.integers(25, 85, n), rng.integers(0, 90, n))
    birth = pd.to_datetime("2019-09-30") - pd.to_timedelta(age * 365.25 + rng.integers(0, 360, n), unit="D")
    birth = pd.Series(birth.normalize())
    ids = _ids(code, birth, male, rng)
    age = np.where(pos >= 2, np.minimum(age, np.repeat(age[pos == 0], size) - 20).clip(0), age)
    birth = pd.to_datetime("2019-09-30") - pd.to_timedelta(age * 365.25 + rng.integers(0, 360, n), unit="D")
    birth = pd.Series(birth.normalize())
    ids = _ids(code, birth, male, rng)
    rel = np.where(pos == 0, "户主", np.where(pos == 1, "配偶", np.where(male, "之子", "之女")))
    status = np.where(rng.random(n) < 0.05, "自然减少", "正常")
    status[pos == 0] = "正常"
    skill = np.where(age < 16, "无劳动力", np.where(age >= 65, "弱劳动力或半劳动力", "普通劳动力"))
    school = np.where((age >= 6) & (age <= 14), "小学", "非在校生")
    school = np.where((age >= 15) & (age <= 17), "高中一年级", school)
    works = (age >= 16) & (age < 60) & (rng.random(n) < 0.6)
    workers = np.bincount(hh_of[works & (status == "正常")], minlength=n_hh)
    dib_flag = (pos == 0) & (workers[hh_of] == 0)
    health = rng.choice(
        ["健康", "长期慢性病", "患有大病", "残疾", "长期慢性病,残疾"], n, p=[0.8, 0.1, 0.03, 0.05, 0.02]
    )
    dis = np.where(np.char.find(health.astype(str), "残疾") >= 0, (ids + "13").astype(object), None)
    # planted: some sex mismatches and blank ids
    sex = np.where(male, "男", "女").astype(object)
    flip = rng.random(n) < 0.002
    sex[flip] = np.where(male[flip], "女", "男")
    ids_shown = ids.copy()
    ids_shown[rng.random(n) < 0.001] = None
    member = pd.DataFrame(
        {
            "hh_id": _obj(hh_ids[hh_of]),
            "person_id": _obj(np.char.add("P", np.arange(n).astype(str))),
            "name": _obj(np.full(n, "张三")),
            "id_type": _obj(np.full(n, "居民身份证")),
            "id_no": _obj(ids_shown),
            "sex": _obj(sex),
            "birth_date": birth.astype("datetime64[ns]"),
            "relation": _obj(rel),
            "education": _obj(np.where(age >= 15, "初中", np.where(age >= 6, "小学", None))),
            "school_status": _obj(school),
            "out_of_school_reason": _obj(np.full(n, None)),
            "health": _obj(health),
            "disability_no": _obj(dis),
            "labour_skill": _obj(skill),
            "work_status": _obj(np.where(works, "县外省内务工", "未务工")),
            "work_months": np.where(works, rng.integers(3, 13, n), 0).astype(float),
            "pwj_post": _obj(np.full(n, None)),
            "pwj_months": np.full(n, np.nan),
            "ins_resident": pd.array(rng.random(n) < 0.98, dtype="boolean"),
            "ins_employee": pd.array(np.zeros(n, bool), dtype="boolean"),
            "ins_critical": pd.array(np.ones(n, bool), dtype="boolean"),
            "pension_insured": pd.array(np.ones(n, bool), dtype="boolean"),
            "pension_receiving": pd.array(age >= 60, dtype="boolean"),
            "dibao": pd.array(dib_flag, dtype="boolean"),
            "tekun": pd.array(np.zeros(n, bool), dtype="boolean"),
            "soldier": pd.array(np.zeros(n, bool), dtype="boolean"),
            "member_status": _obj(status),
            "change_reason": _obj(np.where(status == "自然减少", "死亡", None)),
            "change_date": pd.Series(
                np.where(status == "自然减少", np.datetime64("2018-05-01"), np.datetime64("NaT")),
                dtype="datetime64[ns]",
            ),
        }
    )
    for c in (
        "id_type",
        "sex",
        "birth_date",
        "relation",
        "education",
        "school_status",
        "health",
        "labour_skill",
        "work_status",
        "ins_resident",
        "ins_employee",
        "ins_critical",
        "pension_insured",
        "pension_receiving",
        "dibao",
        "tekun",
        "soldier",
        "member_status",
        "change_reason",
        "change_date",
    ):
        member[S.raw_col(c)] = _obj(np.full(n, None))
    member[S.ROW_COL] = np.arange(2, n + 2)
    active = np.bincount(hh_of[status == "正常"], minlength=n_hh)
    head_idx = np.flatnonzero(pos == 0)
    exited = rng.random(n_hh) < 0.85
    household = pd.DataFrame(
        {
            "hh_id": _obj(hh_ids),
            "county": _obj(np.full(n_hh, code)),
            "township": _obj(np.full(n_hh, "某镇")),
            "village": _obj(np.full(n_hh, "某村")),
            "head_name": _obj(np.full(n_hh, "张三")),
            "head_id": _obj(ids[head_idx]),
            "hh_size": pd.array(active + (rng.random(n_hh) < 0.01), dtype="Int64"),
            "hh_type": _obj(np.where(exited, "一般脱贫户", "一般贫困户")),
            "id_standard": _obj(np.full(n_hh, "国家标准")),
            "main_cause": _obj(
                rng.choice(
                    ["因病", "因残", "因学", "缺资金", "缺技术", "缺劳力"], n_hh, p=[0.02, 0.02, 0.01, 0.85, 0.05, 0.05]
                )
            ),
            "other_causes": _obj(np.full(n_hh, None)),
            "first_year": pd.array(rng.choice([2014, 2015, 2016, 2017], n_hh), dtype="Int64"),
            "exit_status": _obj(np.where(exited, "已脱贫（享受政策）", "未脱贫")),
            "exit_year": pd.array(np.where(exited, 2018, None), dtype="Int64"),
            "labour_type": _obj(np.full(n_hh, "有劳动能力")),
            "unsafe_house": pd.array(np.zeros(n_hh, bool), dtype="boolean"),
            "house_level": _obj(np.full(n_hh, "A")),
            "house_area": rng.uniform(30, 150, n_hh).round(1),
            "safe_water": pd.array(np.ones(n_hh, bool), dtype="boolean"),
            "water_difficulty": pd.array(np.zeros(n_hh, bool), dtype="boolean"),
            "power_living": pd.array(np.ones(n_hh, bool), dtype="boolean"),
            "road_distance_km": np.where(rng.random(n_hh) < 0.01, 6.0, rng.uniform(0, 4.5, n_hh).round(1)),
            "road_type": _obj(np.full(n_hh, "水泥路")),
            "arable_mu": rng.uniform(0, 5, n_hh).round(1),
            "forest_mu": rng.uniform(0, 10, n_hh).round(1),
            "grain_to_green_mu": np.zeros(n_hh),
            "helper_name": _obj(np.full(n_hh, "李四")),
            "last_visit": pd.Series(np.full(n_hh, np.datetime64("2019-06-01")), dtype="datetime64[ns]"),
        }
    )
    for c in (
        "hh_type",
        "id_standard",
        "main_cause",
        "other_causes",
        "exit_status",
        "labour_type",
        "unsafe_house",
        "house_level",
        "safe_water",
        "water_difficulty",
        "power_living",
        "road_type",
        "last_visit",
    ):
        household[S.raw_col(c)] = _obj(np.full(n_hh, None))
    household[S.ROW_COL] = np.arange(2, n_hh + 2)
    years = np.tile(np.arange(2016, 2020), n_hh)
    ih = np.repeat(np.arange(n_hh), 4)
    m_n = len(years)
    base = rng.uniform(6000, 30000, n_hh)
    growth = 1 + 0.08 * (years - 2016) + rng.uniform(-0.05, 0.05, len(years))
    wage = np.where(workers[ih] > 0, base[ih] * growth, 0.0).round(2)
    trans = np.where(workers[ih] > 0, 500.0, 6000.0)
    dib_inc = np.where(workers[ih] > 0, 0.0, 3000.0)
    nmem = np.maximum(active[ih], 1)
    disp = wage + trans
    income = pd.DataFrame(
        {
            "hh_id": _obj(hh_ids[ih]),
            "year": pd.array(years, dtype="Int64"),
            "n_members": pd.array(nmem, dtype="Int64"),
            "wage": wage,
            "wage_pwj": np.zeros(m_n),
            "business_income": np.zeros(m_n),
            "business_cost": np.zeros(m_n),
            "property_income": np.zeros(m_n),
            "property_dividend": np.zeros(m_n),
            "transfer_income": trans,
            "family_planning": np.zeros(m_n),
            "dibao_income": dib_inc,
            "tekun_income": np.zeros(m_n),
            "pension_income": np.zeros(m_n),
            "eco_comp": np.zeros(m_n),
            "medical_reimb": np.zeros(m_n),
            "other_transfer": trans - dib_inc,
            "transfer_out": np.zeros(m_n),
            "disposable_recorded": np.where(rng.random(m_n) < 0.01, disp + 50, disp),
            "disposable_pc_recorded": (disp / nmem).round(2),
            "data_source": _obj(np.full(m_n, "入户核实")),
        }
    )
    income["data_source__raw"] = _obj(np.full(m_n, None))
    income[S.ROW_COL] = np.arange(2, m_n + 2)
    mh = np.repeat(np.arange(n_hh), 4)
    k = len(mh)
    measure = pd.DataFrame(
        {
            "hh_id": _obj(hh_ids[mh]),
            "year": pd.array(np.tile(np.arange(2016, 2020), n_hh), dtype="Int64"),
            "category": _obj(rng.choice(["产业帮扶", "就业帮扶", "健康帮扶", "教育帮扶", "金融帮扶"], k)),
            "content": _obj(np.full(k, "帮扶")),
            "project_id": _obj(np.full(k, None)),
            "amount": np.full(k, 1000.0),
            "start_date": pd.Series(np.full(k, np.datetime64("2019-03-01")), dtype="datetime64[ns]"),
            "end_date": pd.Series(np.full(k, np.datetime64("2019-06-01")), dtype="datetime64[ns]"),
            "status": _obj(np.full(k, "已完成")),
            "stage": _obj(np.full(k, None)),
        }
    )
    for c in ("category", "start_date", "end_date", "status", "stage"):
        measure[S.raw_col(c)] = _obj(np.full(k, None))
    measure[S.ROW_COL] = np.arange(2, k + 2)
    n_proj = max(10, n_hh // 200)
    project = pd.DataFrame(
        {
            "project_id": _obj(np.char.add("XM", np.arange(n_proj).astype(str))),
            "name": _obj(np.full(n_proj, "项目")),
            "category": _obj(np.full(n_proj, "产业发展")),
            "to_household": pd.array(np.zeros(n_proj, bool), dtype="boolean"),
            "year": pd.array(np.full(n_proj, 2019), dtype="Int64"),
            "publicized": pd.array(np.ones(n_proj, bool), dtype="boolean"),
        }
    )
    for c in ("category", "to_household", "publicized"):
        project[S.raw_col(c)] = _obj(np.full(n_proj, None))
    project[S.ROW_COL] = np.arange(2, n_proj + 2)
    return {"household": household, "member": member, "income": income, "measure": measure, "project": project}


def synthetic(households: int, n_counties: int, seed: int = 1):
    per = households // n_counties
    out = []
    for i, (code, name) in enumerate(COUNTIES[:n_counties]):
        out.append((f"{code}_{name}", synth_county(code, per, seed + i), set()))
    return out


# ---------------------------------------------------------------------------------------------------------------
# demo export through the loader
# ---------------------------------------------------------------------------------------------------------------
def demo_available() -> bool:
    try:
        import hgk_lib.demo.cli  # noqa: F401
        import hgk_lib.io  # noqa: F401

        return True
    except Exception:  # noqa: BLE001
        return False


def demo(households: int | None, keep: str | None):
    from hgk_lib.io.loader import load_counties

    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="hgk_bench_rules_"))
    data = tmp / "raw"
    if not data.exists():
        args = [sys.executable, "-m", "hgk_lib", "demo-data", "--out", str(data), "--format", "csv"]
        if households:
            args += ["--households", str(households)]
        t0 = time.perf_counter()
        subprocess.run(args, check=True, cwd=ROOT)
        print(f"demo export generated in {time.perf_counter() - t0:.1f} s: {data}")
    t0 = time.perf_counter()
    counties = load_counties(data)
    print(f"loaded {len(counties)} counties in {time.perf_counter() - t0:.1f} s")
    out = [(c.folder, c.tables, c.quarantined_hh) for c in counties]
    planted_file = tmp / "raw_truth" / "planted.csv"
    planted = pd.read_csv(planted_file, dtype=str) if planted_file.exists() else None
    if not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return out, planted


# ---------------------------------------------------------------------------------------------------------------
def run(counties, keep_findings: bool = False):
    from hgk_lib.rules import load_catalogue, make_context, run_rules
    from hgk_lib.params import load_params

    year = load_params(year=2019)
    cat = load_catalogue()
    members = {name: t["member"] for name, t, _ in counties}
    summaries, n_findings, kept = [], 0, []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for name, tables, quar in counties:
        others = {k: v for k, v in members.items() if k != name}
        ctx = make_context(tables, year, name, others=others, quarantined_hh=quar, catalogue=cat)
        t1 = time.perf_counter()
        c1 = time.process_time()
        res = run_rules(ctx, catalogue=cat)
        n_findings += len(res.findings)
        if keep_findings:
            kept.append(res.findings)
        print(
            f"  {name}: {len(tables['household']):,} households, {time.perf_counter() - t1:.2f} s wall / {time.process_time() - c1:.2f} s CPU, "
            f"{len(res.findings):,} findings, peak {peak_mb():,.0f} MB",
            flush=True,
        )
        summaries.append(res.summary.assign(county=name))
        del res, ctx
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(
        f"rules: {total:.2f} s wall, {cpu:.2f} s CPU (CPU time is what a quiet machine would show as wall time; "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    findings = pd.concat(kept, ignore_index=True) if kept else None
    return total, pd.concat(summaries, ignore_index=True), n_findings, findings


def compare_truth(findings: pd.DataFrame, planted: pd.DataFrame) -> int:
    """Planted problems (the demo's ``<out>_truth/planted.csv``) vs findings: match on county code, rule, part, 户编号, 人编号,
    项目编号 and 年度 (blank fields in the truth match anything). Prints missed rows and unplanted findings."""
    p = planted.fillna("")
    f = findings.copy()
    f["code"] = f["county"].astype(str).str[:6]
    for c in ("part", "hh_id", "person_id", "project_id"):
        f[c] = f[c].astype(object).where(f[c].notna(), "").astype(str)
    f["year"] = f["year"].astype("Int64").astype(str).replace("<NA>", "")
    p["year"] = p["year"].str.replace(r"\.0$", "", regex=True)
    keys = ["code", "rule_id", "part", "hh_id", "person_id", "project_id", "year"]
    p = p.rename(columns={"county": "code"})
    found = []
    fk = f[keys]
    for _, r in p.iterrows():  # a few hundred planted rows
        m = pd.Series(True, index=fk.index)
        for k in keys:
            if r[k]:
                m &= fk[k] == r[k]
        found.append(bool(m.any()))
    p["found"] = found
    loose = ["code", "rule_id", "hh_id", "person_id", "project_id"]
    planted_keys = set(map(tuple, p[loose].to_numpy()))
    extra = f[[tuple(x) not in planted_keys for x in f[loose].to_numpy()]]
    print(
        f"\nground truth: {int(p['found'].sum())} of {len(p)} planted problems found; {len(extra)} findings not planted"
    )
    if (~p["found"]).any():
        print("missed:\n" + p[~p["found"]].to_string())
    if len(extra):
        print("not planted, by rule:\n" + extra["rule_id"].value_counts().sort_index().to_string())
    return int((~p["found"]).sum())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", choices=["auto", "demo", "synthetic"], default="auto")
    ap.add_argument("--households", type=int, default=None, help="total households (default: demo default / 15000)")
    ap.add_argument("--counties", type=int, default=8)
    ap.add_argument("--keep", default=None, help="keep/reuse the demo export in this folder")
    ap.add_argument("--truth", default=None, help="demo ground-truth folder (with planted.csv) to compare with")
    ap.add_argument(
        "--arrow-threads",
        type=int,
        default=1,
        help="pyarrow threads (default 1, so CPU time ≈ the wall time of a quiet machine)",
    )
    args = ap.parse_args(argv)
    import pyarrow as pa

    pa.set_cpu_count(args.arrow_threads)
    source = args.source
    if source == "auto":
        source = "demo" if demo_available() else "synthetic"
    t0 = time.perf_counter()
    planted = None
    if source == "demo":
        counties, planted = demo(args.households, args.keep)
    else:
        counties = synthetic(args.households or 15000, args.counties)
        print(f"synthetic tables built in {time.perf_counter() - t0:.1f} s")
    n_hh = sum(len(t["household"]) for _, t, _ in counties)
    n_p = sum(len(t["member"]) for _, t, _ in counties)
    print(
        f"source={source}: {len(counties)} counties, {n_hh:,} households, {n_p:,} people; "
        f"memory before rules {peak_mb():,.0f} MB"
    )
    truth = Path(args.truth) / "planted.csv" if args.truth else None
    if truth is not None:
        planted = pd.read_csv(truth, dtype=str)
    total, summary, n_findings, findings = run(counties, keep_findings=planted is not None)
    per_rule = summary.groupby(["rule_id", "rule_name"], sort=True).agg(
        seconds=("seconds", "sum"), findings=("findings", "sum"), status=("status", lambda s: "/".join(sorted(set(s))))
    )
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.width", 160)
    print(per_rule.sort_values("seconds", ascending=False).to_string())
    print(
        f"\nall rules: {total:.2f} s for {n_hh:,} households / {n_p:,} people; {n_findings:,} findings; "
        f"peak memory {peak_mb():,.0f} MB"
    )
    if planted is not None:
        compare_truth(findings, planted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
