"""The Chinese tables the notebooks display (each notebook masks every one with ``show_table``).

County notebook: :func:`parameter_table` … :func:`measures_coverage`, all taking the :class:`~hgk_lib.orchestrate.
county.CountyRun`. City notebook: :func:`comparison_section`, :func:`spot_estimates` (read from the evaluation's saved
tables), :func:`rectification_by_county` …
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import __version__
from ..schema import table_label
from .county import CountyRun, county_summary, rule_ran
from .paths import city_output_dir, county_name
from .processed import utc_now  # noqa: F401 - the city notebook's run time stamp


# ---------------------------------------------------------------------------------------------------------------
# the county notebook
# ---------------------------------------------------------------------------------------------------------------
def _audit_frame(run: CountyRun, name: str) -> pd.DataFrame:
    from ..report.summary import audit_frame

    return audit_frame(run.audit, name)


def parameter_table(run: CountyRun, paths: dict | None = None) -> pd.DataFrame:
    """运行参数：county, year, data and parameter files, hashes, lines, R09 scope, versions, run time."""
    prov = run.provenance
    inc = run.params.get("income", {})
    others = "、".join(county_name(c) for c in run.others) or "无（本次只有一个县，R09 未运行）"
    rows = [
        ("县（市、区）", run.name),
        ("县目录", run.county),
        ("核查年度", str(run.year)),
        ("参照日期", str(run.params["year"]["reference_date"])),
        ("脱贫标准线（元/人·年）", f"{inc.get('exit_line')}"),
        ("返贫线（元/人·年）", f"{inc.get('return_line')}"),
        ("导出数据目录", str(getattr(run, "data_root", "") or "")),
        ("参数文件", str(run.params_file)),
        ("参数 SHA-256", str(prov.get("params_sha256") or run.params_hash)),
        ("输入数据哈希", run.input_hash),
        ("R09 跨县比对的其他县", others),
        ("随机种子", str(prov.get("seed"))),
        ("PYTHONHASHSEED", str(prov.get("pythonhashseed"))),
        ("hgk 版本", str(prov.get("hgk_version", __version__))),
        ("运行时间（UTC）", str(prov.get("run_time_utc"))),
    ]
    if paths:
        rows += [("台账文件", Path(paths["ledger"]).name), ("汇总文件", Path(paths["summary"]).name)]
    return pd.DataFrame(rows, columns=["项目", "内容"])


def input_files_table(run: CountyRun) -> pd.DataFrame:
    """输入文件：table, file, size, SHA-256 (first 16 hex digits shown)."""
    recs = run.provenance.get("inputs") or []
    df = pd.DataFrame(recs, columns=["table", "file", "path", "sha256", "bytes"])
    label = df["table"].map(table_label)
    return pd.DataFrame(
        {
            "数据表": label,
            "文件": df["file"],
            "字节数": df["bytes"],
            "SHA-256（前16位）": df["sha256"].astype(object).map(lambda h: h[:16] if isinstance(h, str) else h),
        }
    )


def headline_table(run: CountyRun, summary: dict | None = None) -> pd.DataFrame:
    """主要数字 (from the same counts as summary.json)."""
    s = summary or county_summary(run)
    rs = run.rule_summary
    not_run = int((~rule_ran(rs["status"])).sum()) if "status" in rs else 0
    rows = [
        ("核查户数", s["households"]["audited"]),
        ("核查人数", s["people"]["audited"]),
        ("在册人数", s["people"]["active"]),
        ("已脱贫户数", s["households"]["exited"]),
        ("给出核查结论的户数", s["households"]["verdicts_given"]),
        ("规则问题条数", s["findings"]["total"]),
        ("有问题的户数", s["households"]["with_findings"]),
        ("三保障问题", s["needs"]["total"]),
        ("涉及三保障问题的户数", s["needs"]["households"]),
        ("帮扶措施缺失（户-年度）", s["measure_gaps"]),
        ("项目库问题", s["project_findings"]),
        ("隔离行数", s["quarantine"]["total"]),
        ("未运行的规则", not_run),
    ]
    return pd.DataFrame(rows, columns=["项目", "数量"])


def verdict_table(run: CountyRun) -> pd.DataFrame:
    """核查结论 × 脱贫质量 counts of exited households, verdicts in the standard's order."""
    from ..report.summary import QUALITIES, VERDICTS

    v = _audit_frame(run, "verdicts")
    total = max(len(v), 1)
    counts = v["verdict"].astype(object).value_counts()
    order = [x for x in VERDICTS if x in counts.index] + sorted(x for x in counts.index if x not in VERDICTS)
    out = pd.DataFrame({"核查结论": order, "户数": [int(counts[x]) for x in order]})
    out["占比"] = (out["户数"] / total).map(lambda x: f"{x:.1%}")
    if len(v) and v["quality"].notna().any():
        q = pd.crosstab(v["verdict"].astype(object), v["quality"].astype(object))
        for col in [c for c in QUALITIES if c in q.columns]:
            out[col] = out["核查结论"].map(q[col]).fillna(0).astype(int)
    return out


def findings_by_department(run: CountyRun) -> pd.DataFrame:
    """问题按责任部门 × 级别 (with totals and households)."""
    from ..report.summary import LEVELS

    f = run.findings
    if f.empty:
        return pd.DataFrame(columns=["责任部门", *LEVELS, "合计", "涉及户数"])
    t = pd.crosstab(f["department"].astype(object).fillna("未指定"), f["level"].astype(object).fillna("未指定"))
    t = t.reindex(
        columns=[c for c in LEVELS if c in t.columns] + [c for c in t.columns if c not in LEVELS], fill_value=0
    )
    t["合计"] = t.sum(axis=1)
    hh = f.groupby(f["department"].astype(object).fillna("未指定"))["hh_id"].nunique()
    t["涉及户数"] = hh.reindex(t.index).fillna(0).astype(int)
    t = t.sort_values("合计", ascending=False).rename_axis("责任部门").reset_index()
    t.columns.name = None
    return t


def findings_by_category_township(run: CountyRun) -> pd.DataFrame:
    """问题条数：rows = rule category, columns = township (findings without a household go to 无户信息)."""
    from ..report.summary import RULE_CATEGORIES, rule_category

    f = run.findings
    hh = run.data.tables.get("household")
    cats = [c for c, _, _ in RULE_CATEGORIES]
    if f.empty:
        return pd.DataFrame(columns=["规则类别"])
    town = pd.Series("无户信息", index=f.index, dtype=object)
    if hh is not None and "township" in hh:
        m = hh.drop_duplicates("hh_id").set_index("hh_id")["township"].astype(object)
        town = f["hh_id"].astype(object).map(m).fillna("无户信息")
    t = pd.crosstab(rule_category(f["rule_id"]).fillna("其他"), town)
    t = t.reindex([c for c in cats if c in t.index] + [c for c in t.index if c not in cats])
    return t.rename_axis("规则类别").rename_axis(None, axis=1).reset_index()


def needs_table(run: CountyRun) -> pd.DataFrame:
    """三保障问题 by type: department, problems, households, resolvable this year."""
    n = _audit_frame(run, "needs")
    if n.empty:
        return pd.DataFrame(columns=["问题类型", "责任部门", "问题数", "涉及户数", "年内可解决"])
    res = n["resolvable"].astype(object).map(lambda v: v is True or v == "是" or v == 1)
    g = n.assign(_res=res).groupby(["problem_type", "department"], dropna=False)
    out = g.agg(问题数=("hh_id", "size"), 涉及户数=("hh_id", "nunique"), 年内可解决=("_res", "sum")).reset_index()
    out = out.rename(columns={"problem_type": "问题类型", "department": "责任部门"})
    out["年内可解决"] = out["年内可解决"].astype(int)
    return out.sort_values("问题数", ascending=False).reset_index(drop=True)


def row_ledger_table(run: CountyRun) -> pd.DataFrame:
    """行数台账: per table and file, rows read / loaded / quarantined."""
    rl = getattr(run.data, "ledger", None)
    if rl is None or len(rl) == 0:
        return pd.DataFrame(columns=["数据表", "文件", "读取行数", "载入行数", "隔离行数"])
    return pd.DataFrame(
        {
            "数据表": rl["table"].map(table_label),
            "文件": rl["file"].astype(object).map(lambda p: Path(str(p)).name),
            "读取行数": rl["rows_read"],
            "载入行数": rl["rows_loaded"],
            "隔离行数": rl["rows_quarantined"],
        }
    )


def quarantine_table(run: CountyRun) -> pd.DataFrame:
    """隔离数据 by file and reason (counts; the rows themselves are in the ledger's 隔离数据 sheet)."""
    q = getattr(run.data, "quarantine", None)
    if q is None or len(q) == 0:
        return pd.DataFrame(columns=["文件", "原因", "行数"])
    q = q.astype(object)
    file = q["file"].map(lambda p: Path(str(p)).name) if "file" in q else "—"
    out = (
        q.assign(_file=file)
        .groupby(["_file", "reason"], dropna=False)
        .size()
        .rename("行数")
        .reset_index()
        .rename(columns={"_file": "文件", "reason": "原因"})
    )
    return out.sort_values(["行数", "文件"], ascending=[False, True]).reset_index(drop=True)


def not_run_table(run: CountyRun) -> pd.DataFrame:
    """Rules that did not run (or parts that did not), with what was missing."""
    rs = run.rule_summary
    if rs.empty or "status" not in rs:
        return pd.DataFrame(columns=["规则编号", "规则名称", "状态", "缺少数据"])
    m = ~rule_ran(rs["status"])
    if "missing" in rs:
        m |= rs["missing"].astype(object).map(lambda v: isinstance(v, str) and v.strip() != "")
    out = rs.loc[m, ["rule_id", "rule_name", "status", *(["missing"] if "missing" in rs else [])]]
    return out.rename(
        columns={"rule_id": "规则编号", "rule_name": "规则名称", "status": "状态", "missing": "缺少数据"}
    ).reset_index(drop=True)


def income_chart_data(run: CountyRun) -> pd.DataFrame:
    """Per exited household: recomputed per-capita income and verdict (for the income-vs-lines chart)."""
    v = _audit_frame(run, "verdicts")
    return pd.DataFrame(
        {
            "hh_id": v["hh_id"],
            "income_pc": pd.to_numeric(v["income_pc"], errors="coerce"),
            "verdict": v["verdict"].astype(object),
        }
    )


def measures_coverage(run: CountyRun) -> pd.DataFrame:
    """Per year since measures.first_year: households (registered by then) with at least one measure, share."""
    first = int(run.params.get("measures", {}).get("first_year", 2016))
    years = list(range(first, run.year + 1))
    hh = run.data.tables.get("household")
    ms = run.data.tables.get("measure")
    n_hh = int(hh["hh_id"].nunique()) if hh is not None and "hh_id" in hh else 0
    if ms is None or "year" not in ms or n_hh == 0:
        return pd.DataFrame({"年度": years, "有措施户数": 0, "户数": n_hh, "覆盖率": 0.0})
    covered = ms.dropna(subset=["year"]).groupby(ms["year"].astype("Int64"))["hh_id"].nunique()
    if "first_year" in hh:
        reg = hh.drop_duplicates("hh_id")["first_year"].astype("Int64")
        base = pd.Series([int((reg <= y).fillna(True).sum()) for y in years], index=years)
    else:
        base = pd.Series(n_hh, index=years)
    got = covered.reindex(years).fillna(0).astype(int)
    share = (got / base.replace(0, pd.NA)).astype(float).fillna(0.0)
    return pd.DataFrame(
        {"年度": years, "有措施户数": got.to_numpy(), "户数": base.to_numpy(), "覆盖率": share.round(4).to_numpy()}
    )


# ---------------------------------------------------------------------------------------------------------------
# the city notebook
# ---------------------------------------------------------------------------------------------------------------
def comparison_section(comparison: pd.DataFrame, category: str) -> pd.DataFrame:
    """The rows of one category of the city comparison (各县对比), 项目 as the first column."""
    part = comparison[comparison["category"] == category].drop(columns="category")
    return part.rename(columns={"item": "项目"}).reset_index(drop=True)


def spot_estimates(output_root, year: int) -> pd.DataFrame | None:
    """Spot-check estimates from the evaluation's saved tables (``市汇总/results/``, :func:`hgk_lib.results.
    read_evaluation`) as a long frame ``[county, item, value]`` (county = 县名, or 全市), or None when the
    evaluation has not been done yet."""
    from ..results import read_evaluation

    saved = read_evaluation(city_output_dir(output_root, year))
    if saved is None:
        return None
    df = saved["evaluation_summary"]
    if df.empty:
        return pd.DataFrame(columns=["county", "item", "value"])

    def pct(v):
        return None if v is None or (isinstance(v, float) and pd.isna(v)) else f"{float(v):.1%}"

    out = []
    for r in df.to_dict("records"):
        c = str(r.get("county") or "")
        name = c.split("_", 1)[1] if re.match(r"^\d{6}_", c) else c
        out += [
            (name, "已核查户数", r.get("inspected")),
            (name, "发现问题户数", r.get("problems")),
            (name, "问题比例（95%区间）", f"{pct(r.get('p'))}（{pct(r.get('p_lo'))}–{pct(r.get('p_hi'))}）"),
            (name, "收入低于脱贫线比例（95%区间）", f"{pct(r.get('q'))}（{pct(r.get('q_lo'))}–{pct(r.get('q_hi'))}）"),
        ]
    return pd.DataFrame(out, columns=["county", "item", "value"])


def county_spot_estimates(spot: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per-county rows only (the city workbook's comparison has one column per county; 全市 is shown apart)."""
    if spot is None:
        return None
    return spot[~spot["county"].isin(["全市", "合计", "全市合计"])].reset_index(drop=True)


def spot_table(spot: pd.DataFrame | None) -> pd.DataFrame:
    """Spot-check estimates, one row per county (and 全市), one column per item."""
    if spot is None or spot.empty:
        return pd.DataFrame(columns=["县（市、区）"])
    t = spot.pivot_table(index="county", columns="item", values="value", aggfunc="first", sort=False)
    return t.rename_axis("县（市、区）").rename_axis(None, axis=1).reset_index()


def rectification_by_county(status: pd.DataFrame) -> pd.DataFrame:
    """整改进度 per county (and 全市): counts of each 整改状态, total and 已整改 share, Chinese headers."""
    from ..report.ledger import STATUS_OPTIONS

    cols = ["县（市、区）", *STATUS_OPTIONS, "合计", "已整改占比"]
    if status is None or len(status) == 0:
        return pd.DataFrame(columns=cols)
    st = status["status"].astype(object).where(status["status"].isin(STATUS_OPTIONS), STATUS_OPTIONS[0])
    t = pd.crosstab(status["county"].astype(object), st).reindex(columns=STATUS_OPTIONS, fill_value=0)
    t.loc["全市"] = t.sum()
    t["合计"] = t[STATUS_OPTIONS].sum(axis=1)
    t["已整改占比"] = (t["已整改"] / t["合计"].where(t["合计"] > 0)).map(lambda x: "—" if pd.isna(x) else f"{x:.1%}")
    return t.rename_axis("县（市、区）").rename_axis(None, axis=1).reset_index()[cols]


def rectification_by_department(status: pd.DataFrame) -> pd.DataFrame:
    """整改进度 of the whole city per responsible department, Chinese headers."""
    from ..report.city import progress_table

    p = progress_table(status)
    p = p[p["county"] == "全市"].drop(columns="county")
    out = p.rename(
        columns={
            "department": "责任部门",
            "total": "合计",
            "done_share": "已整改占比",
            "doing_share": "整改中占比",
            "todo_share": "未整改占比",
        }
    )
    for c in ("已整改占比", "整改中占比", "未整改占比"):
        out[c] = out[c].map(lambda x: "—" if pd.isna(x) else f"{x:.1%}")
    return out.sort_values("合计", ascending=False).reset_index(drop=True).rename_axis(None, axis=1)


def readback_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """读回问题 with Chinese headers (the city workbook's 读回问题 sheet)."""
    names = {
        "county": "县（市、区）",
        "file": "文件",
        "sheet": "工作表",
        "row": "行号",
        "column": "列",
        "value": "填写值",
        "reason": "问题",
    }
    return problems.rename(columns=names)[[c for c in names.values() if c in problems.rename(columns=names)]]
