"""City roll-up: read every county's ``summary.json`` and ledger 整改状态, write 回头看总结_<year>.xlsx.

Layout read: ``<output_root>/<year>/<county folder>/summary.json`` and ``回头看台账_<县名>_<year>.xlsx`` (``市汇总``
is skipped). A county without a summary or ledger is reported in the problems frame, never a crash. The city
workbook holds counts only (no personal numbers; free text read back is masked).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .edges import verdict_counts_with_unverified
from .ledger import PROBLEM_COLUMNS, STATUS_COLUMNS, STATUS_OPTIONS, read_ledger_status
from .mask import mask_text
from .plots import rectification_progress
from .provenance import run_datetime
from .summary import read_json
from .xlsx import KIND_LABELS, Col, SheetSpec, frame_for, new_workbook, save_workbook, write_table

CITY_DIR = "市汇总"
C = Col
CITY_SHEETS: list[SheetSpec] = [
    SheetSpec(
        "说明",
        [
            C("类别", "category", "text", "信息类别"),
            C("项目", "item", "text", "名称"),
            C("内容", "value", "long", "取值"),
        ],
        "核查年度、汇总时间、纳入的县及其输入文件哈希",
    ),
    SheetSpec(
        "各县对比",
        [C("类别", "category", "text", "统计类别"), C("项目", "item", "text", "统计项目")],
        "各县并列：核查结论、问题按责任部门、三保障问题、整改状态、抽查估计；每县一列，最后一列为全市合计",
    ),
    SheetSpec(
        "整改进度",
        [
            C("县（市、区）", "county", "text", "县名；“全市”为各县合计"),
            C("责任部门", "department", "text", "责任部门"),
            C("未整改", "未整改", "int", "条数"),
            C("整改中", "整改中", "int", "条数"),
            C("已整改", "已整改", "int", "条数"),
            C("合计", "total", "int", "条数"),
            C("已整改占比", "done_share", "pct", "已整改 / 合计"),
            C("整改中占比", "doing_share", "pct", "整改中 / 合计"),
            C("未整改占比", "todo_share", "pct", "未整改 / 合计"),
        ],
        "按责任部门的整改进度（读回各县台账的整改状态；空白或无效值按未整改计）",
    ),
    SheetSpec(
        "读回问题",
        [
            C("县（市、区）", "county", "text", "县名"),
            C("文件", "file", "text", "台账文件"),
            C("工作表", "sheet", "text", "工作表"),
            C("行号", "row", "int", "行号"),
            C("列", "column", "text", "列名"),
            C("填写值", "value", "long", "填写的值（已脱敏）"),
            C("问题", "reason", "long", "问题说明"),
        ],
        "读回台账时发现的问题（下拉值无效、缺表、缺列、文件无法读取）",
    ),
    SheetSpec(
        "数据字典",
        [
            C("工作表", "sheet", "text", "工作表名称"),
            C("列名", "column", "text", "列名"),
            C("类型", "kind", "text", "取值类型"),
            C("含义", "meaning", "long", "含义"),
        ],
        "各工作表的列及含义",
    ),
]


def _county_name(summary: dict, folder: str) -> str:
    c = summary.get("county") or {}
    return str(c.get("name") or folder.split("_", 1)[-1])


def collect_county_results(output_root, year: int) -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    """Read each county folder under ``<output_root>/<year>/``: summaries (sorted by folder), the read-back
    整改状态 of every ledger (with ``county``/``county_folder`` columns) and every read-back problem."""
    base = Path(output_root) / str(year)
    summaries, statuses, problems = [], [], []
    folders = (
        sorted(p for p in base.iterdir() if p.is_dir() and p.name != CITY_DIR and not p.name.startswith("."))
        if base.is_dir()
        else []
    )
    if not folders:
        problems.append(
            {
                "county": None,
                "file": str(base),
                "sheet": None,
                "row": None,
                "column": None,
                "value": None,
                "reason": "没有找到任何县的输出目录",
            }
        )
    for folder in folders:
        summary = {}
        sj = folder / "summary.json"
        if sj.is_file():
            try:
                summary = read_json(sj)
                summaries.append(summary)
            except Exception as err:  # a broken file is reported, the roll-up continues
                problems.append(
                    {
                        "county": folder.name,
                        "file": sj.name,
                        "sheet": None,
                        "row": None,
                        "column": None,
                        "value": None,
                        "reason": f"summary.json 无法读取：{err}",
                    }
                )
        else:
            problems.append(
                {
                    "county": folder.name,
                    "file": sj.name,
                    "sheet": None,
                    "row": None,
                    "column": None,
                    "value": None,
                    "reason": "缺少 summary.json（该县可能运行失败）",
                }
            )
        name = _county_name(summary, folder.name)
        ledgers = sorted(folder.glob(f"回头看台账_*_{year}.xlsx"))
        if not ledgers:
            problems.append(
                {
                    "county": name,
                    "file": None,
                    "sheet": None,
                    "row": None,
                    "column": None,
                    "value": None,
                    "reason": "缺少回头看台账",
                }
            )
            continue
        status, probs = read_ledger_status(ledgers[0])
        status.insert(0, "county", name)
        status.insert(1, "county_folder", folder.name)
        probs.insert(0, "county", name)
        statuses.append(status)
        problems += probs.to_dict("records")
    status = (
        pd.concat(statuses, ignore_index=True)
        if statuses
        else pd.DataFrame(columns=["county", "county_folder"] + STATUS_COLUMNS)
    )
    return summaries, status, pd.DataFrame(problems, columns=["county"] + PROBLEM_COLUMNS)


def comparison_table(
    summaries: list[dict], status: pd.DataFrame | None = None, spot_estimates: pd.DataFrame | None = None
) -> pd.DataFrame:
    """类别 · 项目 · one column per county · 全市. ``spot_estimates``: optional long frame [county, item, value]."""
    cols: dict[str, dict] = {}
    order: list[tuple[str, str]] = []

    def put(county, cat, item, value):
        if (cat, item) not in order:
            order.append((cat, item))
        cols.setdefault(county, {})[(cat, item)] = value

    names = []
    for s in summaries:
        n = _county_name(s, str((s.get("county") or {}).get("folder") or "未知县"))
        names.append(n)
        hh = s.get("households") or {}
        put(n, "核查范围", "核查户数", hh.get("audited"))
        put(n, "核查范围", "已脱贫户数", hh.get("exited"))
        put(n, "核查范围", "核查人数", (s.get("people") or {}).get("audited"))
        put(n, "核查范围", "无正常成员的户数（不作核查结论）", hh.get("no_active_member", 0))
        put(n, "核查范围", "其中已脱贫户", hh.get("exited_no_active_member", 0))
        for k, v in verdict_counts_with_unverified(s).items():
            put(n, "核查结论", k, v)
        for k, v in (s.get("quality") or {}).items():
            put(n, "脱贫质量", k, v)
        f = s.get("findings") or {}
        put(n, "问题", "问题总数", f.get("total"))
        for k, v in (f.get("by_level") or {}).items():
            put(n, "问题级别", k, v)
        for k, v in (f.get("by_department") or {}).items():
            put(n, "问题责任部门", k, v)
        nd = s.get("needs") or {}
        put(n, "三保障问题", "合计", nd.get("total"))
        for k, v in (nd.get("by_type") or {}).items():
            put(n, "三保障问题", k, v)
        q = s.get("quarantine") or {}
        put(n, "数据质量", "隔离行数", q.get("total"))
    if status is not None and len(status):
        g = status.groupby(["county", "status"]).size()
        for (county, st), v in g.items():
            if county in names:
                put(county, "整改状态", st, int(v))
    if spot_estimates is not None and len(spot_estimates):
        for r in spot_estimates.to_dict("records"):
            put(str(r.get("county")), "抽查估计", str(r.get("item")), r.get("value"))
    for county in list(cols):
        if county not in names:
            names.append(county)
    rows = []
    for cat, item in order:
        row = {"category": cat, "item": item}
        numeric = True
        total = 0
        for n in names:
            v = cols.get(n, {}).get((cat, item))
            if v is None and cat not in ("抽查估计",):
                v = 0
            row[n] = v
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                total += int(v)
            elif v is not None:
                numeric = False
        row["全市"] = total if numeric and cat != "抽查估计" else None
        rows.append(row)
    return pd.DataFrame(rows, columns=["category", "item"] + names + ["全市"])


def progress_table(status: pd.DataFrame | None) -> pd.DataFrame:
    """Per county and department, then 全市 per department: counts and shares of each 整改状态."""
    cols = ["county", "department"] + STATUS_OPTIONS + ["total", "done_share", "doing_share", "todo_share"]
    if status is None or len(status) == 0:
        return pd.DataFrame(columns=cols)
    parts = []
    for county, grp in sorted(status.groupby("county"), key=lambda x: str(x[0])):
        p = rectification_progress(grp)
        p.insert(0, "county", county)
        parts.append(p)
    city = rectification_progress(status)
    city.insert(0, "county", "全市")
    out = pd.concat(parts + [city], ignore_index=True)
    tot = out["total"].where(out["total"] > 0)
    out["doing_share"] = out["整改中"] / tot
    out["todo_share"] = out["未整改"] / tot
    return out[cols]


def write_city_workbook(
    path,
    *,
    year: int,
    summaries: list[dict],
    status: pd.DataFrame | None,
    problems: pd.DataFrame | None,
    spot_estimates: pd.DataFrame | None = None,
    run_time: str | None = None,
) -> Path:
    """Write 回头看总结_<year>.xlsx (说明, 各县对比, 整改进度, 读回问题, 数据字典), atomically."""
    comp = comparison_table(summaries, status, spot_estimates)
    comp_spec = SheetSpec(
        CITY_SHEETS[1].name,
        CITY_SHEETS[1].columns
        + [C(c, c, "num", "该县的数量" if c != "全市" else "各县合计") for c in comp.columns[2:]],
        CITY_SHEETS[1].description,
    )
    prob = problems.copy() if problems is not None else pd.DataFrame(columns=["county"] + PROBLEM_COLUMNS)
    if "value" in prob:
        prob["value"] = (
            prob["value"]
            .astype(object)
            .map(lambda v: mask_text(str(v)) if v is not None and not (isinstance(v, float) and np.isnan(v)) else None)
        )
    info = [
        ("基本信息", "核查年度", str(year)),
        ("基本信息", "汇总时间（UTC）", run_time),
        ("基本信息", "纳入县数", str(len(summaries))),
    ]
    for s in summaries:
        c = s.get("county") or {}
        info.append(
            ("纳入的县", str(c.get("name")), f"{c.get('folder')}；运行时间 {(s.get('run') or {}).get('time_utc')}")
        )
        for i in s.get("inputs") or []:
            info.append(("输入文件", f"{c.get('name')}：{i.get('file')}", i.get("sha256")))
    info += [("工作表说明", s.name, s.description) for s in CITY_SHEETS]
    info.append(
        ("说明", "整改状态", "读回各县台账“问题清单”的整改状态；空白或不在下拉选项中的值按未整改统计，并列入“读回问题”")
    )
    frames = {
        "说明": pd.DataFrame(info, columns=["category", "item", "value"]),
        "各县对比": comp,
        "整改进度": progress_table(status),
        "读回问题": prob,
        "数据字典": pd.DataFrame(
            [
                (s.name, c.header, KIND_LABELS.get(c.kind, c.kind), c.meaning)
                for s in CITY_SHEETS[:1] + [comp_spec] + CITY_SHEETS[2:]
                for c in s.columns
            ],
            columns=["sheet", "column", "kind", "meaning"],
        ),
    }
    when = run_datetime({"run_time_utc": run_time}) if run_time else dt.datetime(2000, 1, 1)
    wb = new_workbook(f"回头看总结_{year}", when)
    for spec in CITY_SHEETS:
        spec = comp_spec if spec.name == "各县对比" else spec
        df, kinds = frame_for(spec, frames[spec.name])
        write_table(wb, spec.name, df, kinds)
    save_workbook(wb, path)
    return Path(path)
