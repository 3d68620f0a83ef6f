"""The demo of the campaign loop (campaign.md §6): what the counties do after the first audit, and a later export.

``hgk demo-campaign --data data/raw/2019 --out outputs --year 2019 --later data/raw/2019-10-25 --as-of 2019-10-20``

1. **A later export** (``--later``; its truth in ``<later>_truth/``): the same demo city (same seed and size as
   ``hgk demo-data``) in which a share of the households with planted problems are really fixed — their registry
   rows (贫困户信息, 贫困人口信息, 收入信息, 帮扶措施) are the clean ones — exported later (导出时间 in the title rows).
2. **The counties' filled workbooks** (in place, under ``<out>/<year>/<county>/``): in each 回头看台账, 问题清单 rows of
   really fixed households say 已整改 (truthful), a share of the other rows say 已整改 too (false claims) or 整改中;
   in each 入户核查计划, households whose income must be checked are visited (走访清单: 已走访, the true verified
   income), and items of households without any planted or true problem are found 不属实 at the door (核查事项).
3. **The truth of the claims**: ``<later>_truth/campaign_claims.csv`` (county · 问题编号 · 户编号 · 整改状态 · truthful).

After ``hgk collect`` and ``hgk audit --data <later>``, every false claim is 整改不实 and every truthful one 已销号
(when the fix removed the item). Demo only: the entries are marked （演示）.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

FIX_SHARE = 0.5  # share of households with planted problems that the later export really fixes
FALSE_CLAIM_SHARE = 0.25  # share of the other ledger rows the county claims 已整改 anyway
WORKING_SHARE = 0.2
VISIT_SHARE = 0.6  # share of the households whose income must be checked that the visit teams reach
UNTRUE_MAX = 30  # items found 不属实 at the door per county (households without any planted problem)
REGISTRY_TABLES = ("household", "member", "income", "measure")
NOTE_TRUE, NOTE_FALSE, NOTE_WORKING = (
    "已更正，已入户核实（演示：真实整改）",
    "已整改（演示：虚报，问题仍在）",
    "正在整改（演示）",
)


#: planted rules a registry fix of one household cannot undo: department lists, the project library, IDs duplicated
#: across households or counties (the other household keeps its copy)
NOT_FIXABLE = {"R08", "R09", "R56", *(f"R{i}" for i in range(64, 69)), *(f"R{i}" for i in range(80, 96))}


def later_demo(
    seed: int = 2019,
    counties: list[str] | None = None,
    households: int | None = None,
    fmt: str = "mixed",
    fix_share: float = FIX_SHARE,
    **kw,
) -> tuple[dict, set]:
    """The demo city of ``hgk demo-data`` (``kw``: its other arguments, e.g. the fixture's) with ``fix_share`` of the
    households whose planted problems are all in the registry tables replaced by their clean rows; returns (demo
    dict for :func:`hgk_lib.demo.generate.write_demo`, the fixed household ids)."""
    from .build import generate_clean
    from .generate import build_demo

    demo = build_demo(seed, counties, households, fmt, **kw)
    clean = generate_clean(seed, demo["counties"], households)
    pl = demo["planted"].dropna(subset=["hh_id"]).assign(hh_id=lambda d: d["hh_id"].astype(str))
    blocked = set(pl.loc[pl["rule_id"].isin(NOT_FIXABLE), "hh_id"])
    planted = sorted(set(pl["hh_id"]) - blocked)
    rng = np.random.default_rng([int(seed), 10, 25])
    fixed = set(rng.choice(planted, size=int(round(len(planted) * fix_share)), replace=False)) if planted else set()
    t = demo["tables"]
    drop = set()
    for name in REGISTRY_TABLES:
        p, c = t[name], clean[name]
        gone = p["hh_id"].astype(str).isin(fixed)
        drop |= {(name, lab) for lab in p.index[gone]}
        add = c[c["hh_id"].astype(str).isin(fixed)]
        add = add.set_axis([f"fixed{i}" for i in range(len(add))])  # labels never shared with a planted row
        t[name] = pd.concat([p[~gone], add]).sort_values("hh_id", kind="mergesort")
    demo["raw"] = [r for r in demo["raw"] if (r[0], r[1]) not in drop]
    hh = demo["households"]
    demo["households"] = hh[~hh["hh_id"].astype(str).isin(fixed)]
    demo["planted"] = demo["planted"][~demo["planted"]["hh_id"].astype(str).isin(fixed)]
    return demo, fixed


def write_later_export(
    later,
    seed: int = 2019,
    counties: list[str] | None = None,
    households: int | None = None,
    fmt: str = "mixed",
    export_time: str = "2019-10-25 09:30:00",
    **kw,
) -> tuple[dict, set]:
    """Write the later export (and ``<later>_truth/``); 导出时间 = ``export_time``."""
    import datetime as dt

    from . import render as R
    from .generate import write_demo

    demo, fixed = later_demo(seed, counties, households, fmt, **kw)
    old = R.FIXED_TIME
    R.FIXED_TIME = dt.datetime.fromisoformat(export_time)
    try:
        info = write_demo(demo, later)
    finally:
        R.FIXED_TIME = old
    truth = Path(info["truth"])
    pd.DataFrame({"hh_id": sorted(fixed)}).to_csv(truth / "fixed_households.csv", index=False, encoding="utf-8")
    return info, fixed


def _set_column(ws, header: str, rows: dict[int, object]) -> None:
    head = [c.value for c in ws[1]]
    j = head.index(header) + 1
    for r, v in rows.items():
        ws.cell(r, j).value = v


def _frame(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    df = pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame()
    df.index = range(2, len(df) + 2)  # sheet rows
    return df


def fill_county(
    folder: Path, year: int, fixed: set, truth: pd.DataFrame, planted: pd.DataFrame, visit_date: str, rng
) -> pd.DataFrame:
    """Fill one county's ledger and visit plan in place; returns the claims (for the truth file). A claim is
    truthful when the household was really fixed and the row's rule is one planted in it (its cause is gone)."""
    from openpyxl import load_workbook

    claims = []
    ledger = next(iter(sorted(folder.glob(f"回头看台账_*_{year}.xlsx"))), None)
    if ledger is not None:
        wb = load_workbook(ledger)
        ws = wb["问题清单"]
        df = _frame(ws)
        if len(df):
            hh = df["户编号"].astype(str)
            cause = pd.MultiIndex.from_arrays([planted["hh_id"].astype(str), planted["rule_id"].astype(str)])
            cause_gone = pd.MultiIndex.from_arrays([hh, df["规则编号"].astype(str)]).isin(cause)
            true_rows = df.index[hh.isin(fixed) & cause_gone]
            rest = df.index[~hh.isin(fixed)]
            u = rng.random(len(rest))
            false_rows = rest[u < FALSE_CLAIM_SHARE]
            working = rest[(u >= FALSE_CLAIM_SHARE) & (u < FALSE_CLAIM_SHARE + WORKING_SHARE)]
            status = {
                **{r: "已整改" for r in true_rows},
                **{r: "已整改" for r in false_rows},
                **{r: "整改中" for r in working},
            }
            notes = {
                **{r: NOTE_TRUE for r in true_rows},
                **{r: NOTE_FALSE for r in false_rows},
                **{r: NOTE_WORKING for r in working},
            }
            _set_column(ws, "整改状态", status)
            _set_column(ws, "整改说明", notes)
            for r in status:
                claims.append(
                    {
                        "county": folder.name,
                        "item_id": df.at[r, "问题编号"],
                        "hh_id": df.at[r, "户编号"],
                        "status": status[r],
                        "truthful": r in set(true_rows),
                    }
                )
        wb.save(ledger)
    plan = next(iter(sorted(folder.glob(f"入户核查计划_*_{year}.xlsx"))), None)
    if plan is not None:
        wb = load_workbook(plan)
        ws = wb["走访清单"]
        v = _frame(ws)
        if len(v):
            verified = truth.drop_duplicates("hh_id").set_index("hh_id")["verified_income_pc"]
            need = v.index[(v["需核实收入"] == "是") & v["户编号"].astype(str).isin(verified.index)]
            go = need[rng.random(len(need)) < VISIT_SHARE]
            _set_column(ws, "走访结论", {r: "已走访" for r in go})
            _set_column(ws, "核实人均可支配收入", {r: round(float(verified[str(v.at[r, "户编号"])]), 2) for r in go})
            _set_column(ws, "走访人", {r: "演示走访员" for r in go})
            _set_column(ws, "走访日期", {r: visit_date for r in go})
        ws = wb["核查事项"]
        it = _frame(ws)
        if len(it):
            hh = it["户编号"].astype(str)
            planted_hh = set(planted["hh_id"].astype(str))
            no_problem = set(truth.loc[truth["true_problem"] == 0, "hh_id"].astype(str))
            clean = it.index[~hh.isin(planted_hh) & ~hh.isin(fixed) & hh.isin(no_problem)][:UNTRUE_MAX]
            _set_column(ws, "核实结果", {r: "不属实" for r in clean})
            _set_column(ws, "说明", {r: "入户核实，该户无此情况（演示）" for r in clean})
        wb.save(plan)
    return pd.DataFrame(claims, columns=["county", "item_id", "hh_id", "status", "truthful"])


def run(args) -> int:
    """``hgk demo-campaign``."""
    year = int(args.year)
    year_dir = Path(args.out) / str(year)
    if not year_dir.is_dir():
        raise InputError("找不到该年度的输出目录（请先运行 hgk audit）", file=str(year_dir))
    truth_dir = Path(args.truth) if args.truth else Path(str(Path(args.data)) + "_truth")
    if not (truth_dir / "households.csv").exists():
        raise InputError("找不到演示数据的真实情况文件 households.csv", file=str(truth_dir))
    truth = pd.read_csv(truth_dir / "households.csv", dtype={"hh_id": str, "county": str})
    planted = pd.read_csv(truth_dir / "planted.csv", dtype={"hh_id": str})
    info, fixed = write_later_export(
        args.later, seed=int(args.seed), households=args.households, export_time=f"{args.export_date} 09:30:00"
    )
    rng = np.random.default_rng([int(args.seed), 10, 20])
    claims = []
    for folder in sorted(p for p in year_dir.iterdir() if p.is_dir() and p.name[:6].isdigit()):
        claims.append(fill_county(folder, year, fixed, truth, planted.dropna(subset=["hh_id"]), args.visit_date, rng))
    claims = pd.concat(claims, ignore_index=True) if claims else pd.DataFrame()
    claims.to_csv(Path(info["truth"]) / "campaign_claims.csv", index=False, encoding="utf-8")
    n_true = int(claims["truthful"].sum()) if len(claims) else 0
    print(f"已生成较新的导出：{info['out']}（其中 {len(fixed)} 户的问题已真实整改）")
    print(
        f"已模拟各县填写台账与入户核查计划（演示）：报已整改或整改中 {len(claims)} 条，其中真实整改 {n_true} 条；"
        f"真实情况：{Path(info['truth']) / 'campaign_claims.csv'}"
    )
    return 0
