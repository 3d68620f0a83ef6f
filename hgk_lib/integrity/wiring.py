"""The integrity screen in the county run (issue 13): computed once per county, saved with the results, read by the
ledger (sheet 数据真实性筛查), the visit plan (item 数据真实性复核), the notebooks and the spot-check draw.

::

    units, items = screen_county(tables, audit, params)     # process_county; saved as results integrity / integrity_items
    sheet = ledger_sheet(units)                              # 数据真实性筛查: flagged rows, then what was not tested
    flags = visit_flags(items)                               # for hgk_lib.visit (item ids = the ZS- ids of items)
    table = city_integrity(output_root, year)                # city summary: per county, from the saved results

Seed: the run's seed (``spot_check.seed``), so reruns give the same flags (every test is exact or a bound today, so
nothing is drawn; a permutation test would draw from it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .outputs import LEDGER_COLUMNS, city_table, ledger_frame
from .screen import INDICATOR_IDS, INDICATORS, ST_NOT_RUN, ST_SMALL, ST_UNDEFINED, flagged_households, screen_integrity
from .units import HELPER

#: Result table names (hgk_lib.results.TABLES).
UNITS_RESULT = "integrity"
ITEMS_RESULT = "integrity_items"
#: 户数 column left blank, 指标 filled: rows of the sheet that say what was not tested (after the flagged rows).
NOTE_PREFIX = "（未检验）"


def run_seed(params: dict) -> int | None:
    """The run's seed: ``spot_check.seed`` of the year parameters."""
    seed = (params.get("spot_check") or {}).get("seed")
    return None if seed is None else int(seed)


def screen_county(tables: dict, audit, params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One county's screen: ``(units, items)`` — the unit table of :func:`screen_integrity` (one row per unit ×
    indicator) and :func:`flagged_households` (the visit items, with their ZS- item ids).

    ``tables``: the canonical tables; ``audit``: the AuditResult (its ``income``: the recomputed per-capita income)."""
    hh = tables.get("household")
    if hh is None:
        hh = pd.DataFrame({"hh_id": pd.Series(dtype=object), "exit_status": pd.Series(dtype=object)})
    income = getattr(audit, "income", None) if not isinstance(audit, dict) else audit.get("income")
    units, _ = screen_integrity(
        hh, tables.get("member"), tables.get("income"), tables.get("measure"), income, params, run_seed(params)
    )
    return units, flagged_households(units, hh)


def screen_notes(units: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of the sheet (columns :data:`LEDGER_COLUMNS`) that say what the screen could not test, so that an empty
    sheet is never read as "all honest": per indicator not run (the missing input named), per indicator with units
    whose county reference is not computable, and the units too small to test (one row; they are the same units for
    every indicator)."""
    rows = []
    if units is None or len(units) == 0:
        why = "本次运行未提供数据真实性筛查结果" if units is None else "没有已脱贫户，未作数据真实性筛查"
        out = pd.DataFrame([{"指标": "全部指标", "说明": why}], columns=LEDGER_COLUMNS)
        out["指标"] = NOTE_PREFIX + out["指标"]
        return out
    for ind in INDICATOR_IDS:  # loop over the seven indicators
        u = units[units["indicator"] == ind]
        name = f"{ind} {INDICATORS[ind][0]}"
        if len(u) and (u["status"] == ST_NOT_RUN).all():
            rows.append({"指标": name, "说明": "未运行：" + str(u["sentence"].iloc[0])})
            continue
        und = u[u["status"] == ST_UNDEFINED]
        if len(und):
            nv, nh = int((und["unit_type"] != HELPER).sum()), int((und["unit_type"] == HELPER).sum())
            rows.append(
                {
                    "指标": name,
                    "说明": f"不可计算：村 {nv} 个、帮扶责任人 {nh} 个的全县参照值不可计算（全县其余单位无可比数据或"
                    "全部相同），未作检验",
                }
            )
    small = units[units["status"] == ST_SMALL].drop_duplicates("unit_id")
    if len(small):
        mh = small["sentence"].iloc[0]
        nv, nh = int((small["unit_type"] != HELPER).sum()), int((small["unit_type"] == HELPER).sum())
        total = units["unit_id"].nunique()
        rows.append({"指标": "全部指标", "说明": f"{mh}：村 {nv} 个、帮扶责任人 {nh} 个（全县共 {total} 个单位）"})
    out = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
    out["指标"] = NOTE_PREFIX + out["指标"].astype(str)
    return out


def ledger_sheet(units: pd.DataFrame | None) -> pd.DataFrame:
    """The sheet 数据真实性筛查: one row per flagged unit and indicator (:func:`ledger_frame`), then the rows of
    :func:`screen_notes` (指标 starting with （未检验）, unit columns blank)."""
    flagged = ledger_frame(units) if units is not None and len(units) else pd.DataFrame(columns=LEDGER_COLUMNS)
    notes = screen_notes(units)
    if not len(notes):
        return flagged.reset_index(drop=True)
    if not len(flagged):
        return notes.reset_index(drop=True)
    return pd.concat([flagged, notes], ignore_index=True)[LEDGER_COLUMNS]


def headline(units: pd.DataFrame | None, params: dict | None = None, items: pd.DataFrame | None = None) -> str:
    """One Chinese paragraph for the county report: units tested and flagged, households of flagged units (distinct
    households and visit items when ``items``, the flagged units' households, is given), units too small to test,
    indicators not run."""
    if units is None or len(units) == 0:
        return "本县没有已脱贫户，未作数据真实性筛查。"
    u1 = units.drop_duplicates("unit_id")
    tested = units.loc[units["status"] == "已检验"].drop_duplicates("unit_id")
    fl = units.loc[units["flagged"].fillna(False).astype(bool)].drop_duplicates("unit_id")
    small = units.loc[units["status"] == ST_SMALL].drop_duplicates("unit_id")
    not_run = [
        i
        for i in INDICATOR_IDS
        if len(units[units["indicator"] == i]) and (units.loc[units["indicator"] == i, "status"] == ST_NOT_RUN).all()
    ]
    typ = lambda d, h: int(((d["unit_type"] == HELPER) if h else (d["unit_type"] != HELPER)).sum())  # noqa: E731
    text = (
        f"按村、按帮扶责任人共 {len(u1)} 个单位（村 {typ(u1, False)} 个、帮扶责任人 {typ(u1, True)} 个），"
        f"已检验 {len(tested)} 个；"
    )
    if len(fl) and items is not None:
        hh = f"{items['hh_id'].nunique()} 户（数据真实性复核事项 {len(items)} 项）"
    else:
        hh = f"{int(fl['n_households'].sum())} 户次"
    text += (
        f"被标记 {len(fl)} 个（村 {typ(fl, False)} 个、帮扶责任人 {typ(fl, True)} 个），涉及已脱贫户 {hh}，"
        "均列入入户核查计划。"
        if len(fl)
        else "没有被标记的单位。"
    )
    ip = (params or {}).get("integrity") or {}
    if ip:
        text = (
            f"显著性水平 {float(ip['alpha']):g}（按县、按指标作 Benjamini–Hochberg 校正），单位至少 "
            f"{int(ip['min_households'])} 户已脱贫户才作检验。"
        ) + text
    if len(small):
        mh = f"{int(ip['min_households'])}户" if ip else "规定户数"
        text += f"已脱贫户不足{mh}的单位 {len(small)} 个未作检验（户数太少，无法判断）。"
    if not_run:
        text += (
            "未运行的指标："
            + "；".join(f"{i}（{units.loc[units['indicator'] == i, 'sentence'].iloc[0]}）" for i in not_run)
            + "。"
        )
    return text + "标记只说明“如数据真实，出现这种情况的概率很小”，需要入户核实，不等于认定造假。"


def visit_flags(items: pd.DataFrame | None) -> pd.DataFrame | None:
    """The visit plan's integrity input (:func:`hgk_lib.visit.items.integrity_items`): hh_id, indicator (I1–I7),
    indicator_name, text (what to verify) and the item's ZS- ``item_id`` (the same id as the saved results)."""
    if items is None or len(items) == 0:
        return None
    unit = np.where(
        items["unit_type"].astype(object) == HELPER,
        "帮扶责任人" + items["helper_name"].astype(object).fillna("").astype(str),
        items["village"].astype(object).fillna("").astype(str),
    )
    text = (
        "所在单位（"
        + pd.Series(unit, index=items.index)
        + "）"
        + items["indicator_name"].astype(str)
        + "，"
        + items["suggestion"].astype(str)
    )
    return pd.DataFrame(
        {
            "county": items["county"].to_numpy(dtype=object),
            "hh_id": items["hh_id"].to_numpy(dtype=object),
            "indicator": items["indicator"].to_numpy(dtype=object),
            "indicator_name": items["indicator_name"].to_numpy(dtype=object),
            "text": text.to_numpy(dtype=object),
            "item_id": items["item_id"].to_numpy(dtype=object),
        }
    )


def city_integrity(output_root, year: int) -> pd.DataFrame:
    """The city summary's per-county table (:func:`city_table`) from every county's saved results (``integrity``);
    a county without saved results is left out (the city summary lists it among its read-back problems)."""
    from ..orchestrate.paths import CITY_DIRNAME, CITY_OUT_DIRNAME
    from ..results import ResultsError, read_result

    base = Path(output_root) / str(int(year))
    skip = {CITY_DIRNAME, CITY_OUT_DIRNAME}
    folders = (
        sorted(p for p in base.iterdir() if p.is_dir() and p.name not in skip and not p.name.startswith(("_", ".")))
        if base.is_dir()
        else []
    )
    parts = []
    for folder in folders:  # loop over counties
        try:
            parts.append(read_result(folder, UNITS_RESULT))
        except ResultsError:
            continue
    parts = [p for p in parts if len(p)]
    if not parts:
        return city_table(None).rename(columns={f"{i} {INDICATORS[i][0]}": f"{i} 标记单位数" for i in INDICATOR_IDS})
    units = pd.concat(parts, ignore_index=True)
    units["flagged"] = units["flagged"].fillna(False).astype(bool)
    t = city_table(units)
    t["县（市、区）"] = t["县（市、区）"].astype(str).map(lambda c: c.split("_", 1)[1] if "_" in c else c)
    # headers by indicator id (names such as 收入… would make the report format the counts as money)
    return t.rename(columns={f"{i} {INDICATORS[i][0]}": f"{i} 标记单位数" for i in INDICATOR_IDS})


__all__ = [
    "screen_county",
    "screen_notes",
    "ledger_sheet",
    "headline",
    "visit_flags",
    "city_integrity",
    "run_seed",
    "UNITS_RESULT",
    "ITEMS_RESULT",
]
