"""The campaign in the city summary (campaign.md §4, §5): progress tables from the record, a plot of the open-item
curve, the workbook 整改进度_<year>.xlsx and the report files for the province.

The city notebook calls::

    progress = campaign_progress(output_root, audit_year, params, as_of)     # None before the first audit
    files = write_city_campaign_files(output_root, audit_year, params, as_of, summaries)

Everything is read from ``outputs/<year>/campaign.sqlite`` (read only) and the counties' saved results; the report
files are written by :func:`hgk_lib.campaign.hooks.write_report_files`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .progress import claims_vs_city, open_curve, stage_timeline, state_table
from .report import county_label, estimates_from_evaluation
from .wire import as_of_date, read_record

PROGRESS_NAME = "整改进度_{year}.xlsx"
#: progress table -> (sheet of 整改进度_<year>.xlsx, description)
PROGRESS_SHEETS = {
    "states": (
        "各县各部门整改状态",
        "每县每个责任部门一行：各状态事项数、逾期（按日晚于整改时限且未销号）、销号率（已销号 ÷ 全部）",
    ),
    "timeline": ("阶段时间表", "每个阶段的日期、按日的状态与剩余天数、按期完成县级核查的县数"),
    "curve": ("未销号事项曲线", "每次核查、读回、抽查后全市未销号、已销号、整改不实事项数"),
    "claims": (
        "县报整改与市抽查对照",
        "各县报已整改的事项及其中整改不实；市抽查发现问题户及其中县已报整改或已销号、县未发现",
    ),
}


def campaign_progress(output_root, year: int, params: dict, as_of=None) -> dict[str, pd.DataFrame] | None:
    """The record's progress tables (Chinese headers; county folders shown as county names): ``states`` (county ×
    department), ``timeline`` (stages), ``curve`` (open items over runs), ``claims`` (claimed closures vs the city's
    spot check). None when there is no record yet."""
    day = as_of_date(as_of)
    con = read_record(output_root, year)
    if con is None:
        return None
    try:
        out = {
            "states": state_table(con, day),
            "timeline": stage_timeline(con, params, day),
            "curve": open_curve(con),
            "claims": claims_vs_city(con),
        }
    finally:
        con.close()
    out["states"]["县"] = out["states"]["县"].map(county_label)
    out["claims"]["县"] = out["claims"]["县"].map(county_label)
    return out


def county_totals(states: pd.DataFrame) -> pd.DataFrame:
    """The county × department table summed per county (县 · states · 合计 · 逾期 · 销号率), 全市 last."""
    if states is None or states.empty:
        return pd.DataFrame(columns=["县", "合计", "逾期", "销号率"])
    num = [c for c in states.columns if c not in ("县", "责任部门", "销号率")]
    g = states[states["县"] != "全市"].groupby("县", sort=True)[num].sum()
    g = pd.concat([g, states.loc[states["县"] == "全市", num].set_axis(["全市"])])
    g["销号率"] = (g["已销号"] / g["合计"].where(g["合计"] > 0)).round(4)
    return g.rename_axis("县").reset_index()


def plot_open_curve(curve: pd.DataFrame):
    """Open (未销号), closed (已销号) and 整改不实 items after every step of the campaign (consecutive runs of one
    kind and day — one audit run per county — are one point)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    if curve is None or curve.empty:
        ax.text(0.5, 0.5, "整改记录中还没有运行", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    step = curve["类型"] + curve["按日"].astype(str)
    curve = curve[step != step.shift(-1)].reset_index(drop=True)  # one point per step (the last county's run of it)
    x = range(len(curve))
    for col, colour in (("未销号事项", "#d9534f"), ("已销号事项", "#5cb85c"), ("整改不实", "#8e44ad")):
        ax.plot(list(x), curve[col].to_numpy(), marker="o", label=col, color=colour)
    ax.set_xticks(list(x))
    ax.set_xticklabels([f"{k}\n{d}" for k, d in zip(curve["类型"], curve["按日"])], fontsize=8)
    ax.set_ylabel("事项数")
    ax.set_title("全市未销号事项（每次核查、读回、抽查后）")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def report_facts(summaries: list[dict] | None) -> dict:
    """Counts the report quotes from the counties' summaries (exited households audited)."""
    s = summaries or []
    hh = [((x.get("households") or {}).get("exited")) for x in s]
    return {
        "households_audited": int(sum(v for v in hh if v is not None)) if s else None,
        "people_audited": None,
    }  # the summaries count the people of all households, not of the exited ones


def registry_incomes(output_root, year: int) -> pd.DataFrame:
    """county · hh_id · recorded_pc (the system's per-capita income) of every county's saved verdicts (for the
    correction list's 系统原值)."""
    from ..results import ResultsError, read_result

    base = Path(output_root) / str(int(year))
    frames = []
    for d in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
        try:
            v = read_result(d, "verdicts")
        except ResultsError:
            continue
        frames.append(pd.DataFrame({"county": d.name, "hh_id": v["hh_id"], "recorded_pc": v["recorded_pc"]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["county", "hh_id", "recorded_pc"])


def write_progress_workbook(path, progress: dict[str, pd.DataFrame], year: int) -> Path:
    """整改进度_<year>.xlsx: one sheet per progress table (:data:`PROGRESS_SHEETS`) and 说明."""
    from ..report.xlsx import new_workbook, save_workbook, write_table

    wb = new_workbook(Path(path).stem, None)
    pct = {"销号率": "pct"}
    for key, (sheet, _) in PROGRESS_SHEETS.items():
        df = progress[key]
        kinds = {c: ("int" if pd.api.types.is_integer_dtype(df[c]) else "text") for c in df.columns}
        kinds.update({c: k for c, k in pct.items() if c in df.columns})
        write_table(wb, sheet, df.astype(object).where(df.notna(), None), kinds)
    info = pd.DataFrame([(sheet, text) for sheet, text in PROGRESS_SHEETS.values()], columns=["工作表", "内容"])
    write_table(wb, "说明", info, {"内容": "long"})
    save_workbook(wb, path)
    return Path(path)


def write_city_campaign_files(
    output_root, year: int, params: dict, as_of=None, summaries: list[dict] | None = None, city: str = ""
) -> dict[str, Path]:
    """市汇总/整改进度_<year>.xlsx, 回头看总结报告_<year>.docx and 省系统更正清单_<year>.xlsx (empty dict without a
    record)."""
    from ..results import read_evaluation
    from .hooks import write_report_files

    day = as_of_date(as_of)
    progress = campaign_progress(output_root, year, params, day)
    if progress is None:
        return {}
    city_dir = Path(output_root) / str(int(year)) / "市汇总"
    saved = read_evaluation(city_dir)
    estimates = None
    if saved is not None and len(saved["evaluation_summary"]):
        estimates = estimates_from_evaluation(saved["evaluation_summary"])
        estimates["县"] = estimates["县"].map(county_label)
    files = write_report_files(
        output_root,
        year,
        day,
        params,
        facts=report_facts(summaries),
        estimates=estimates,
        registry_incomes=registry_incomes(output_root, year),
        city=city,
    )
    files["progress"] = write_progress_workbook(city_dir / PROGRESS_NAME.format(year=year), progress, year)
    return files
