"""Read back the filled 抽查名单 and estimate, per county and for the city, the share of households with a problem
and the share whose verified income is below the exit line, with 95% Korn–Graubard intervals.

Estimator (stratified SRSWOR, strata = county × risk band, docs/risk.md):

    p̂ = Σ_h W_h p̂_h,  W_h = N_h/N,  v̂(p̂) = Σ_h W_h² (1 − n_h/N_h) s_h²/n_h,  s_h² = n_h/(n_h−1)·p̂_h(1−p̂_h)

which is what R ``survey::svymean`` gives for ``svydesign(ids=~1, strata=~stratum, fpc=~N_h)``. The interval is
``survey::svyciprop(method="beta")``: Clopper–Pearson on the effective sample size
n* = p̂(1−p̂)/v̂(p̂) · (t_{n−1}/t_{df})², df = n − H, x* = n*·p̂:

    [Beta⁻¹(α/2; x*, n*−x*+1), Beta⁻¹(1−α/2; x*+1, n*−x*)]

When v̂ = 0 (p̂ = 0, p̂ = 1, or every stratum homogeneous) n* is undefined (R returns NaN); we use the design-based
fallback n* = n (the households inspected), so zero problems in 60 give the exact Clopper–Pearson bound
1 − 0.025^(1/60) ≈ 5.96%. Households drawn but not yet inspected (blank 核查结论) are left out; the stratum's weight is
spread over its inspected households (missing at random within the stratum), and a stratum nobody inspected is
reported as not covered.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from scipy import stats

from .. import schema as S
from ..errors import InputError
from .draw import CONCLUSIONS, DESIGN_COLUMNS, DESIGN_SHEET, LIST_COLUMNS, NOTE_SHEET

ALPHA = 0.05


# ---------------------------------------------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------------------------------------------
def clopper_pearson(x: float, n: float, alpha: float = ALPHA) -> tuple[float, float]:
    """Clopper–Pearson interval for (possibly non-integer) x successes in n (scipy's beta quantiles)."""
    lo = 0.0 if x <= 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    hi = 1.0 if x >= n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    return lo, hi


def korn_graubard(p: float, var: float, n: int, df: int, alpha: float = ALPHA) -> dict:
    """svyciprop(method="beta") interval from a design estimate ``p``, its variance, the sample size and design df.

    n* = p(1−p)/var × (qt(α/2, n−1)/qt(α/2, df))²; fallback n* = n when var is 0 (see module doc).
    """
    if n <= 0 or p is None or (isinstance(p, float) and math.isnan(p)):
        return {"n_eff": float("nan"), "lo": float("nan"), "hi": float("nan"), "fallback": False}
    fallback = not (var > 0) or p <= 0 or p >= 1
    if fallback:
        n_eff = float(n)
    else:
        n_eff = p * (1 - p) / var
        if n > 1 and df >= 1:
            n_eff *= (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2
    lo, hi = clopper_pearson(n_eff * p, n_eff, alpha)
    return {"n_eff": float(n_eff), "lo": lo, "hi": hi, "fallback": bool(fallback)}


def stratified_estimate(y: pd.Series, stratum: pd.Series, N_h: pd.Series, alpha: float = ALPHA) -> dict:
    """Design-weighted proportion of ``y`` (0/1, NaN = not observed) over strata with population sizes ``N_h``.

    ``N_h``: Series indexed by stratum key. Strata without an observed unit are not covered (reported).
    A stratum with a single observed unit borrows the overall p̂(1−p̂) as its s_h² (documented, conservative).
    """
    d = pd.DataFrame({"y": pd.to_numeric(y, errors="coerce"), "h": stratum.to_numpy(object)}, index=y.index)
    d = d[d["y"].notna()]
    g = d.groupby("h")["y"]
    t = pd.DataFrame({"n": g.size(), "p": g.mean()})
    t["N"] = N_h.reindex(t.index).astype(float)
    if t["N"].isna().any():
        missing = ", ".join(map(str, t.index[t["N"].isna()]))
        raise ValueError(f"strata without N_h: {missing}")
    covered = float(t["N"].sum())
    N_all = float(N_h.sum())
    n = int(t["n"].sum())
    H = len(t)
    if n == 0:
        return {
            "n": 0,
            "x": 0,
            "p": float("nan"),
            "se": float("nan"),
            "lo": float("nan"),
            "hi": float("nan"),
            "n_eff": float("nan"),
            "df": 0,
            "strata": 0,
            "N": N_all,
            "N_covered": 0.0,
            "deff": float("nan"),
            "fallback": False,
        }
    W = t["N"] / covered
    p = float((W * t["p"]).sum())
    s2 = t["p"] * (1 - t["p"]) * t["n"] / (t["n"] - 1).where(t["n"] > 1)
    s2 = s2.fillna(p * (1 - p))
    fpc = (1 - t["n"] / t["N"]).clip(lower=0)
    var = float((W**2 * fpc * s2 / t["n"]).sum())
    df = max(n - H, 1)
    kg = korn_graubard(p, var, n, df, alpha)
    v_srs = (1 - n / covered) * p * (1 - p) / max(n - 1, 1) if covered else float("nan")
    return {
        "n": n,
        "x": int(d["y"].sum()),
        "p": p,
        "se": math.sqrt(var),
        "lo": kg["lo"],
        "hi": kg["hi"],
        "n_eff": kg["n_eff"],
        "df": df,
        "strata": H,
        "N": N_all,
        "N_covered": covered,
        "deff": var / v_srs if v_srs and v_srs > 0 else float("nan"),
        "fallback": kg["fallback"],
    }


# ---------------------------------------------------------------------------------------------------------------
# Reading the filled list
# ---------------------------------------------------------------------------------------------------------------
def _blank(v) -> bool:
    """None, NaN, pd.NA or NaT (pandas turns empty cells of a text column into NaN)."""
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _cell_text(v):
    if _blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def _load_workbook(path):
    import io
    import os

    from openpyxl import load_workbook

    from ..io.guard import read_checked_xlsx

    if not os.path.isfile(path):
        raise InputError("找不到抽查名单文件", file=str(path))
    data = read_checked_xlsx(path)  # zip bombs, entity expansion, broken files: refused before parsing
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # corrupt
        raise InputError(f"无法读取抽查名单（应为本工具写出的 .xlsx）：{err}", file=str(path)) from err


def read_results(path) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Read a (filled) 抽查名单 workbook: ``(rows, design, county_sheets)``.

    ``rows`` has the LIST_COLUMNS plus ``_sheet`` and ``_row`` (the Excel row); ``design`` is the 抽样设计 sheet. A
    workbook without 抽样设计, or a county sheet missing a listed column, is an error naming it.
    """
    wb = _load_workbook(path)
    try:
        if DESIGN_SHEET not in wb.sheetnames:
            raise InputError(f"抽查名单缺少“{DESIGN_SHEET}”工作表，无法加权估计", file=str(path))
        design = _sheet_frame(wb[DESIGN_SHEET], DESIGN_COLUMNS, str(path), DESIGN_SHEET, stop_at_blank=True)
        frames, sheets = [], []
        for name in wb.sheetnames:
            if name in (DESIGN_SHEET, NOTE_SHEET) or name.startswith("_"):
                continue
            sheets.append(name)
            frames.append(_sheet_frame(wb[name], LIST_COLUMNS, str(path), name))
    finally:
        wb.close()
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LIST_COLUMNS + ["_sheet", "_row"])
    return rows, design, sheets


def _sheet_frame(ws, columns: list[str], file: str, sheet: str, stop_at_blank: bool = False) -> pd.DataFrame:
    """Rows under the header as a frame (blank rows skipped; ``stop_at_blank``: the table ends at the first blank
    row — 抽样设计 carries the design trade-off table below its strata)."""
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    if header is None:
        raise InputError("工作表为空", file=file, sheet=sheet)
    head = [S.normalise_header(h) for h in header]
    missing = [c for c in columns if S.normalise_header(c) not in head]
    if missing:
        raise InputError("缺少列：" + "、".join(missing), file=file, sheet=sheet)
    pos = {c: head.index(S.normalise_header(c)) for c in columns}
    recs = []
    for r, vals in enumerate(it, start=2):
        if vals is None or all(v is None or str(v).strip() == "" for v in vals):
            if stop_at_blank:
                break
            continue
        rec = {c: (vals[i] if i < len(vals) else None) for c, i in pos.items()}
        rec["_sheet"], rec["_row"] = sheet, r
        recs.append(rec)
    return pd.DataFrame.from_records(recs, columns=columns + ["_sheet", "_row"])


def _to_number(v):
    if _blank(v):
        return None, True
    if isinstance(v, bool):
        return None, False
    if isinstance(v, (int, float)):
        return (float(v), True) if not math.isnan(float(v)) else (None, True)
    s = str(v).strip().replace(",", "").replace("，", "").removesuffix("元")
    if s == "":
        return None, True
    try:
        return float(s), True
    except ValueError:
        return None, False


def _to_date(v):
    if _blank(v) or (isinstance(v, str) and not v.strip()):
        return None, True
    if isinstance(v, (dt.datetime, dt.date)):
        return pd.Timestamp(v), True
    ts = pd.to_datetime(
        str(v).strip().replace("年", "-").replace("月", "-").replace("日", "").replace(".", "-").replace("/", "-"),
        errors="coerce",
    )
    return (None, False) if pd.isna(ts) else (ts, True)


def validate_results(rows: pd.DataFrame, design: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the inspectors' entries; return ``(clean, issues)``.

    ``clean``: one row per listed household with ``conclusion`` (None = not inspected or unusable), ``problem``
    (0/1/NaN), ``verified`` (float/NaN), ``date``, stratum key. ``issues``: 工作表 · 行号 · 列 · 原值 · 问题 (Chinese).
    A bad 核查结论 leaves the household out; a bad amount or date leaves out that value only.
    """
    issues = []

    def issue(r, col, val, msg):
        issues.append(
            {
                "工作表": r["_sheet"],
                "行号": int(r["_row"]),
                "列": col,
                "原值": "" if val is None else str(val),
                "问题": msg,
            }
        )

    known = set(zip(design["工作表"].astype(str), design["分层"].astype(str)))
    out = []
    for r in rows.to_dict(orient="records"):  # one inspected household per row: a few hundred rows, loop is fine
        concl = _cell_text(r["核查结论"])
        if concl is not None and concl not in CONCLUSIONS:
            issue(
                r,
                "核查结论",
                r["核查结论"],
                f"核查结论“{concl}”不是下拉选项（{'、'.join(CONCLUSIONS)}），本户未计入估计",
            )
            concl = None
        amount, ok = _to_number(r["核实人均可支配收入"])
        if not ok:
            issue(r, "核实人均可支配收入", r["核实人均可支配收入"], "不是数字，本户收入未计入收入估计")
        elif amount is not None and amount < 0:
            issue(r, "核实人均可支配收入", r["核实人均可支配收入"], "金额为负，本户收入未计入收入估计")
            amount = None
        date, ok = _to_date(r["核查日期"])
        if not ok:
            issue(r, "核查日期", r["核查日期"], "不是日期")
        if concl == "收入不达标" and amount is None and ok:
            issue(r, "核实人均可支配收入", r["核实人均可支配收入"], "核查结论为收入不达标，但未填写核实收入")
        if concl is None and amount is not None:
            issue(r, "核查结论", None, "填写了核实收入但未选择核查结论，本户未计入问题比例估计")
        key = (str(r["_sheet"]), str(_cell_text(r["分层"])))
        if key not in known:
            issue(r, "分层", r["分层"], "分层不在抽样设计中，本户未计入估计")
            concl = None
        hh = _cell_text(r["户编号"])
        out.append(
            {
                "sheet": r["_sheet"],
                "row": r["_row"],
                "hh_id": hh,
                "township": _cell_text(r["乡（镇）"]),
                "village": _cell_text(r["行政村"]),
                "head_name": _cell_text(r["户主姓名"]),
                "phone": _cell_text(r["联系电话"]),
                "stratum": key[1],
                "risk": _to_number(r["风险评分"])[0],
                "conclusion": concl,
                "problem": np.nan if concl is None else float(concl != "属实"),
                "verified": np.nan if amount is None else amount,
                "needs_note": _cell_text(r["三保障问题说明"]),
                "inspector": _cell_text(r["核查人"]),
                "date": date,
                "remark": _cell_text(r["备注"]),
                "known_stratum": key in known,
            }
        )
    clean = pd.DataFrame(out)
    dup = clean["hh_id"].notna() & clean.duplicated(["sheet", "hh_id"], keep="first") if len(clean) else []
    for r in clean[dup].to_dict(orient="records") if len(clean) else []:
        issues.append(
            {
                "工作表": r["sheet"],
                "行号": int(r["row"]),
                "列": "户编号",
                "原值": r["hh_id"],
                "问题": "户编号重复，只计第一行",
            }
        )
    if len(clean):
        clean = clean[~dup].reset_index(drop=True)
    return clean, pd.DataFrame(issues, columns=["工作表", "行号", "列", "原值", "问题"])


# ---------------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------------
def evaluate(clean: pd.DataFrame, design: pd.DataFrame, exit_line: float, alpha: float = ALPHA) -> dict:
    """Per county and city: inspected, problems, prevalence and income-below-line share with intervals; hits per
    stratum; confirmed cases."""
    d = design.assign(
        _sheet=design["工作表"].astype(str),
        _stratum=design["分层"].astype(str),
        _N=pd.to_numeric(design["总户数N"], errors="coerce"),
        _n=pd.to_numeric(design["样本量n"], errors="coerce"),
    )
    d["_key"] = d["_sheet"] + "｜" + d["_stratum"]
    N_h = d.set_index("_key")["_N"]
    c = clean[clean["known_stratum"]].copy() if len(clean) else clean.assign(_key=[])
    if len(c):
        c["_key"] = c["sheet"].astype(str) + "｜" + c["stratum"].astype(str)
        c["below"] = np.where(
            c["verified"].notna() & c["conclusion"].notna(), (c["verified"] < exit_line).astype(float), np.nan
        )
    rows = []
    counties = list(dict.fromkeys(d["_sheet"]))
    for name in counties + ["全市"]:
        keys = d["_key"] if name == "全市" else d.loc[d["_sheet"] == name, "_key"]
        sub = c[c["_key"].isin(set(keys))] if len(c) else c
        county_label = "全市" if name == "全市" else str(d.loc[d["_sheet"] == name, "县（市、区）"].iloc[0])
        Nk = N_h[N_h.index.isin(set(keys))]
        est_p = stratified_estimate(
            sub["problem"] if len(sub) else pd.Series(dtype=float),
            sub["_key"] if len(sub) else pd.Series(dtype=object),
            Nk,
            alpha,
        )
        est_i = stratified_estimate(
            sub["below"] if len(sub) else pd.Series(dtype=float),
            sub["_key"] if len(sub) else pd.Series(dtype=object),
            Nk,
            alpha,
        )
        rows.append(
            {
                "county": county_label,
                "sheet": name,
                "frame": float(Nk.sum()),
                "drawn": int(d.loc[d["_key"].isin(set(keys)), "_n"].sum()),
                "inspected": est_p["n"],
                "problems": est_p["x"],
                "p": est_p["p"],
                "p_lo": est_p["lo"],
                "p_hi": est_p["hi"],
                "p_se": est_p["se"],
                "p_neff": est_p["n_eff"],
                "p_fallback": est_p["fallback"],
                "deff": est_p["deff"],
                "income_n": est_i["n"],
                "below": est_i["x"],
                "q": est_i["p"],
                "q_lo": est_i["lo"],
                "q_hi": est_i["hi"],
                "q_fallback": est_i["fallback"],
                "not_covered": float(Nk.sum() - est_p["N_covered"]) if est_p["n"] else float(Nk.sum()),
            }
        )
    summary = pd.DataFrame(rows)
    # hits per stratum
    if len(c):
        g = c[c["problem"].notna()].groupby("_key")
        hits = pd.DataFrame({"inspected": g.size(), "problems": g["problem"].sum().astype(int)})
    else:
        hits = pd.DataFrame(columns=["inspected", "problems"])
    strata = d.set_index("_key")[["县（市、区）", "_sheet", "_stratum", "_N", "_n", "平均预测风险"]].join(hits)
    strata[["inspected", "problems"]] = strata[["inspected", "problems"]].fillna(0).astype(int)
    strata["hit_rate"] = strata["problems"] / strata["inspected"].where(strata["inspected"] > 0)
    strata = strata.reset_index(drop=True).rename(
        columns={"_sheet": "sheet", "_stratum": "stratum", "_N": "N_h", "_n": "n_h", "平均预测风险": "mean_risk"}
    )
    cases = c[c["problem"] == 1].copy() if len(c) else c
    return {"summary": summary, "strata": strata, "cases": cases, "clean": c}
