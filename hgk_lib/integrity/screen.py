"""The integrity screen (integrity.md): I1–I7 per village and per 帮扶责任人, exact one-sided p-values,
Benjamini–Hochberg within county × indicator, flags, sentences in words.

Entry point: :func:`screen_integrity`. It takes the canonical tables as DataFrames (one county, or several: each
county — the 县（市、区） column — is its own reference and its own BH family) and the audit's recomputed per-capita
income, so the caller decides where they come from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from ..audit.common import yuan_to_fen_scalar
from . import indicators as I
from .stats import bh_adjust
from .units import HELPER, UNIT_COLUMNS, VILLAGE, exited_households, unit_membership

#: Indicator ids, names (as the ledger shows them) and the recommendation for a flagged unit.
INDICATORS = {
    "I1": ("收入集中在脱贫线上方", "入户复核收入，核实各项收入来源和金额"),
    "I2": ("收入数据照抄", "入户复核收入，核对是否照抄他户数据"),
    "I3": ("收入金额取整", "入户复核收入，核实各项金额是否实测实算"),
    "I4": ("收入为预估未核实", "补做入户核实，按实际核算收入"),
    "I5": ("集中同日走访", "核实走访记录（走访台账、照片、签字）"),
    "I6": ("帮扶措施内容雷同", "入户核实帮扶措施是否落实到户"),
    "I7": ("脱贫当年收入跃升", "核实脱贫当年收入增长的来源"),
}
INDICATOR_IDS = list(INDICATORS)

ST_TESTED = "已检验"
ST_SMALL = "户数不足，未检验"
ST_UNDEFINED = "不可计算"
ST_NOT_RUN = "未运行"
STATUSES = [ST_TESTED, ST_SMALL, ST_UNDEFINED, ST_NOT_RUN]

UNIT_TABLE_COLUMNS = UNIT_COLUMNS + [
    "indicator",
    "indicator_name",
    "status",
    "n",
    "k",
    "value",
    "reference",
    "p",
    "p_adj",
    "flagged",
    "sentence",
    "suggestion",
]

#: Parameters the screen reads (params/<year>.yaml, ``integrity:``).
PARAM_KEYS = ["alpha", "min_households", "window", "round_yuan", "min_components", "jump_factor", "permutations"]


def integrity_params(params: dict) -> dict:
    """The ``integrity:`` section of the validated year parameters."""
    return dict(params["integrity"])


def _lines_fen(params: dict) -> dict:
    inc = params["income"]
    lines = {int(y): yuan_to_fen_scalar(v) for y, v in (inc.get("earlier_exit_lines") or {}).items()}
    lines[int(params["year"]["audit_year"])] = yuan_to_fen_scalar(inc["exit_line"])
    return lines


def _missing(df: pd.DataFrame | None, table: str, keys: list[str]) -> list[str]:
    """Export headers of the columns ``keys`` that ``df`` lacks (or has entirely blank)."""
    t = S.TABLES[table]
    if df is None:
        return [f"{t.label}（整表）"]
    return [f"{t.label}.{t.column(k).header}" for k in keys if k not in df or df[k].isna().all()]


def screen_integrity(
    households: pd.DataFrame,
    members: pd.DataFrame | None,
    incomes: pd.DataFrame | None,
    measures: pd.DataFrame | None,
    verdict_incomes: pd.DataFrame | None,
    params: dict,
    seed: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Screen one or more counties for desk-made data.

    ``households``/``members``/``incomes``/``measures``: canonical tables (:mod:`hgk_lib.schema`).
    ``verdict_incomes``: the audit's recomputed per-capita income per household (``hh_id`` with ``income_pc_fen``
    or ``income_pc``; e.g. ``AuditResult.income``). ``params``: the validated year parameters (``integrity:``
    section). ``seed``: the run's seed (every test here is exact or a bound, so nothing is drawn; kept so that a
    permutation test, if ever added, is reproducible).

    Returns ``(unit_table, flags)``: one row per unit × indicator (:data:`UNIT_TABLE_COLUMNS`; ``status`` says
    whether the unit was tested), and the flagged rows (adjusted p < alpha, at least ``min_households`` exited
    households), sorted by county, indicator and adjusted p.
    """
    ip = integrity_params(params)
    ex = exited_households(households)
    units, memb = unit_membership(ex)
    ccode, _ = pd.factorize(units["county"], sort=True)
    ccode = np.asarray(ccode, dtype=np.int64)
    hh_c = np.full(len(ex), 0, dtype=np.int64)
    vill = memb[memb["unit_id"].isin(units.index[units["unit_type"] == VILLAGE])]
    hh_c[vill["pos"].to_numpy()] = ccode[vill["unit_id"].to_numpy()]
    tested = (units["n_households"] >= int(ip["min_households"])).to_numpy()
    F = I.Frame(
        ex=ex,
        units=units,
        members=memb,
        county_of_unit=ccode,
        county_of_hh=hh_c,
        tested=tested,
        p=ip,
        audit_year=int(params["year"]["audit_year"]),
        exit_fen=yuan_to_fen_scalar(params["income"]["exit_line"]),
        lines_fen=_lines_fen(params),
        count_medical=bool(params["income"]["count_medical_reimbursement"]),
    )

    missing = {
        "I1": [] if verdict_incomes is not None else ["核查收入（审核年度人均可支配收入重算结果）"],
        "I2": _missing(incomes, "income", ["hh_id", "year"]),
        "I3": _missing(incomes, "income", ["hh_id", "year"]),
        "I4": _missing(incomes, "income", ["hh_id", "year", "data_source"]),
        "I5": _missing(households, "household", ["last_visit"]),
        "I6": _missing(measures, "measure", ["hh_id", "year", "content"]),
        "I7": _missing(incomes, "income", ["hh_id", "year", "n_members"])
        + _missing(households, "household", ["exit_year"]),
    }
    run = {
        "I1": lambda: I.i1_bunching(F, verdict_incomes),
        "I2": lambda: I.i2_copies(F, incomes),
        "I3": lambda: I.i3_round(F, incomes),
        "I4": lambda: I.i4_estimated(F, incomes),
        "I5": lambda: I.i5_one_day(F),
        "I6": lambda: I.i6_pasted(F, measures),
        "I7": lambda: I.i7_jumps(F, incomes),
    }
    parts = []
    for ind in INDICATOR_IDS:  # loop over the seven indicators
        if missing[ind]:
            r = pd.DataFrame(
                {
                    "unit_id": units["unit_id"],
                    "n": np.nan,
                    "k": np.nan,
                    "value": np.nan,
                    "reference": np.nan,
                    "p": np.nan,
                    "undefined": True,
                    "detail": "缺少" + "、".join(missing[ind]) + "，本指标未运行",
                }
            )
            r["status"] = ST_NOT_RUN
        else:
            r = run[ind]()
            r["status"] = np.where(
                ~tested, ST_SMALL, np.where(r["undefined"].to_numpy(dtype=bool), ST_UNDEFINED, ST_TESTED)
            )
            r["detail"] = "本单位" + ind + "不作检验"
            show = (r["status"] != ST_SMALL).to_numpy()
            r.loc[show, "detail"] = I.describe(ind, r[show], F).to_numpy()
        r["indicator"] = ind
        parts.append(r)
    res = pd.concat(parts, ignore_index=True)
    res = units.merge(res.drop(columns=[c for c in ("x1", "x2", "date") if c in res]), on="unit_id", how="right")
    ind_code = pd.Series(res["indicator"]).map({k: i for i, k in enumerate(INDICATOR_IDS)}).to_numpy()
    grp = ccode[res["unit_id"].to_numpy()] * len(INDICATOR_IDS) + ind_code
    res["p"] = res["p"].where(res["status"] == ST_TESTED)
    res["p_adj"] = bh_adjust(res["p"].to_numpy(dtype=float), grp)
    res["flagged"] = (
        (res["p_adj"] < float(ip["alpha"])).fillna(False) & (res["n_households"] >= int(ip["min_households"]))
    ).astype(bool)
    res["indicator_name"] = res["indicator"].map({k: v[0] for k, v in INDICATORS.items()})
    res["suggestion"] = np.where(res["flagged"], res["indicator"].map({k: v[1] for k, v in INDICATORS.items()}), "")
    res["sentence"] = _sentence(res, ip)
    res = res[UNIT_TABLE_COLUMNS]
    flags = (
        res[res["flagged"]]
        .sort_values(["county", "indicator", "p_adj", "unit_type", "township", "village", "helper_name"], kind="stable")
        .reset_index(drop=True)
    )
    return res.reset_index(drop=True), flags


def _sentence(res: pd.DataFrame, ip: dict) -> pd.Series:
    d = res["detail"].astype(object)
    st = res["status"]
    tail = pd.Series("", index=res.index, dtype=object)
    t = (st == ST_TESTED).to_numpy()
    tail[t] = [
        "；如数据真实，出现这种情况的概率（校正后）为" + (f"{v:.2g}" if v >= 1e-4 else "<0.0001")
        for v in res["p_adj"].to_numpy(dtype=float)[t]
    ]
    d = d.where(st != ST_SMALL, f"已脱贫户不足{int(ip['min_households'])}户，未作检验")
    tail[st == ST_UNDEFINED] = "；全县其余单位无可比数据，参照值不可计算，未作检验"
    return (d + tail).where(st != ST_NOT_RUN, d)


def flagged_households(unit_table: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """The exited households of every flagged unit, one row per (household, indicator), with the campaign item id
    (:func:`hgk_lib.items.item_ids`, source 数据真实性, code = indicator) for the visit plan (item 数据真实性复核).

    Columns: county, hh_id, township, village, head_name, unit_type, helper_name, indicator, indicator_name,
    suggestion, item, item_id. A household flagged on the same indicator through its village and its 帮扶责任人
    appears once.
    """
    from ..items import item_ids

    cols = [
        "county",
        "hh_id",
        "township",
        "village",
        "head_name",
        "unit_type",
        "helper_name",
        "indicator",
        "indicator_name",
        "suggestion",
        "item",
        "item_id",
    ]
    fl = unit_table[unit_table["flagged"]]
    if fl.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    ex = exited_households(households)
    units, memb = unit_membership(ex)
    key = ["unit_id", "county", "unit_type", "helper_name", "helper_phone"]
    fu = fl[["indicator", "indicator_name", "suggestion"] + key].merge(units[key], on=key, how="inner")
    j = fu.merge(memb, on="unit_id").sort_values(["pos", "indicator", "unit_id"], kind="stable")
    j = j.drop_duplicates(["pos", "indicator"])
    head = households.drop_duplicates("hh_id").set_index("hh_id")["head_name"] if "head_name" in households else None
    hid = ex["hh_id"].to_numpy()[j["pos"].to_numpy()]
    out = pd.DataFrame(
        {
            "county": j["county"].to_numpy(),
            "hh_id": hid,
            "township": ex["township"].to_numpy()[j["pos"].to_numpy()],
            "village": ex["village"].to_numpy()[j["pos"].to_numpy()],
            "head_name": head.reindex(hid).to_numpy(dtype=object) if head is not None else None,
            "unit_type": j["unit_type"].to_numpy(),
            "helper_name": j["helper_name"].to_numpy(),
            "indicator": j["indicator"].to_numpy(),
            "indicator_name": j["indicator_name"].to_numpy(),
            "suggestion": j["suggestion"].to_numpy(),
            "item": "数据真实性复核",
        }
    )
    out = out.sort_values(["county", "hh_id", "indicator"], kind="stable").reset_index(drop=True)
    out["item_id"] = item_ids(out.assign(field=out["indicator"]), "数据真实性", out["indicator"]).to_numpy()
    return out[cols]


__all__ = [
    "screen_integrity",
    "flagged_households",
    "INDICATORS",
    "INDICATOR_IDS",
    "STATUSES",
    "HELPER",
    "VILLAGE",
    "UNIT_TABLE_COLUMNS",
    "PARAM_KEYS",
]
