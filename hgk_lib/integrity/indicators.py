"""The seven indicators I1–I7 (integrity.md), each as unit-level counts and an exact one-sided p-value.

Every indicator function takes the :class:`Frame` of one screen (exited households, units, membership) and returns a
DataFrame with one row per unit: ``unit_id, n, k, value, reference, p, detail`` where ``n``/``k`` are the trials and
successes of the test (or, for I2/I5, the statistic's inputs), ``value`` the unit's share, ``reference`` the county's
(computed without the unit) and ``detail`` the numbers the Chinese sentence needs. ``p`` is NaN for units that are
not tested (fewer than the minimum households) or whose reference is undefined.

All computation is vectorised over households and units; the only loops are over counties inside the BH helper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as S
from ..audit.common import to_fen
from ..audit.income import recompute_income
from .stats import binom_tail, floor_share, poisson_tail

#: Income amounts compared by I2 and counted by I3 (inputs, not the derived totals). 转移性收入 counts only where
#: every transfer item is blank (then it is an input itself).
COMPONENTS = (
    ["wage", "wage_pwj", "business_income", "business_cost", "property_income", "property_dividend"]
    + list(S.INCOME_ITEMS)
    + ["transfer_out"]
)
MAIN_ITEMS = ["wage", "business_income", "business_cost", "property_income", "transfer_income"]


@dataclass
class Frame:
    """One screen's shared inputs. ``ex``: exited households (positions 0..H-1); ``units``; ``members`` (pos,
    unit_id); ``county_of_unit``: county code (int) per unit; ``county_of_hh``: per household; ``tested``: per
    unit, at least ``min_households`` exited households."""

    ex: pd.DataFrame
    units: pd.DataFrame
    members: pd.DataFrame
    county_of_unit: np.ndarray
    county_of_hh: np.ndarray
    tested: np.ndarray
    p: dict
    audit_year: int
    exit_fen: int
    lines_fen: dict
    count_medical: bool
    cache: dict = None


# -----------------------------------------------------------------------------------------------------------------
# formatting helpers (vectorised over units)
# -----------------------------------------------------------------------------------------------------------------
def pct(x) -> pd.Series:
    """Shares as Chinese-report percentages: 42% · 4.2% · 0.031% (two significant digits below 1%); — for NaN."""
    v = np.asarray(x, dtype=float) * 100
    fin = np.isfinite(v)
    w = np.where(fin, v, 0.0)
    out = np.where(fin, "—", "—").astype(object)
    big = fin & (np.round(w) >= 10)
    out[big] = np.round(w[big]).astype(np.int64).astype(str).astype(object) + "%"
    mid = fin & ~big & (np.round(w, 1) >= 1)
    t = np.round(w[mid] * 10).astype(np.int64)
    out[mid] = (t // 10).astype(str).astype(object) + "." + (t % 10).astype(str).astype(object) + "%"
    zero = fin & (w == 0)
    out[zero] = "0%"
    small = fin & ~big & ~mid & ~zero
    out[small] = [f"{x:.2g}%" for x in w[small]]  # few: shares below 1%
    return pd.Series(out)


def ints(x) -> pd.Series:
    v = np.asarray(x, dtype=float)
    fin = np.isfinite(v)
    out = np.full(len(v), "", dtype=object)
    out[fin] = v[fin].astype(np.int64).astype(str).astype(object)
    return pd.Series(out)


def sig2(x) -> pd.Series:
    """Two significant digits (``—`` for NaN)."""
    return pd.Series([f"{v:.2g}" if np.isfinite(v) else "—" for v in np.asarray(x, dtype=float)], dtype=object)


def yuan(fen: float) -> str:
    v = fen / 100
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


# -----------------------------------------------------------------------------------------------------------------
# shared aggregation
# -----------------------------------------------------------------------------------------------------------------
def unit_sums(F: Frame, pos: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Sum per-household values over each unit (households given by position); every unit present (0 if none)."""
    hh = pd.DataFrame({"pos": pos, **values})
    j = F.members.merge(hh, on="pos", how="inner")
    out = pd.DataFrame(index=pd.RangeIndex(len(F.units)))
    for k in values:
        out[k] = np.bincount(j["unit_id"].to_numpy(), weights=j[k].to_numpy(dtype=float), minlength=len(F.units))
    return out


def county_sums(F: Frame, pos: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per county code: sums of per-household values (each household counted once)."""
    nc = int(F.county_of_unit.max()) + 1 if len(F.county_of_unit) else 0
    c = F.county_of_hh[pos]
    return pd.DataFrame(
        {k: np.bincount(c, weights=np.asarray(v, dtype=float), minlength=nc) for k, v in values.items()}
    )


def binomial_indicator(F: Frame, pos: np.ndarray, k_h: np.ndarray, n_h: np.ndarray) -> pd.DataFrame:
    """Unit counts k, n; the county's share without the unit; the exact binomial tail P(X ≥ k)."""
    u = unit_sums(F, pos, {"k": k_h, "n": n_h})
    c = county_sums(F, pos, {"k": k_h, "n": n_h})
    K = c["k"].to_numpy()[F.county_of_unit]
    N = c["n"].to_numpy()[F.county_of_unit]
    k, n = u["k"].to_numpy(), u["n"].to_numpy()
    other_k, other_n = K - k, N - n
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, k / n, np.nan)
        reference = np.where(other_n > 0, other_k / other_n, np.nan)
    p0 = floor_share(other_k, other_n)
    undefined = ~(other_n > 0) | (reference >= 1) | ~(n > 0)
    p = np.where(F.tested & ~undefined, binom_tail(k, n, p0), np.nan)
    return pd.DataFrame(
        {
            "unit_id": np.arange(len(F.units)),
            "n": n,
            "k": k,
            "value": value,
            "reference": reference,
            "p": p,
            "undefined": undefined,
        }
    )


def _pos_of(F: Frame, hh_ids: pd.Series) -> np.ndarray:
    """Positions in ``F.ex`` of 户编号 values (-1 when not an exited household). Keys are the loader's trimmed text."""
    idx = pd.Index(F.ex["hh_id"].to_numpy(dtype=object))
    return idx.get_indexer(hh_ids.to_numpy(dtype=object))


def audit_rows(F: Frame, incomes: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Usable income rows of the exited households (``year``: one year, else all), with ``pos``: rows of a
    duplicated (户编号, 年度) and rows whose five main amounts are all blank are left out (as the audit does).
    Computed once per screen (cached on ``F``)."""
    if F.cache is None:
        F.cache = {}
    if "rows" not in F.cache:
        if incomes is None or incomes.empty or "year" not in incomes:
            r = pd.DataFrame({"pos": pd.Series(dtype=np.int64), "year": pd.Series(dtype=float)})
        else:
            yr = pd.to_numeric(incomes["year"], errors="coerce")
            pos = _pos_of(F, incomes["hh_id"])
            keep = (pos >= 0) & yr.notna().to_numpy()
            r = incomes[keep].assign(year=yr[keep].to_numpy(), pos=pos[keep])
            r = r[~r.duplicated(["pos", "year"], keep=False).to_numpy()]
            present = [k for k in MAIN_ITEMS if k in r]
            if present:
                r = r[~r[present].isna().all(axis=1).to_numpy()]
        F.cache["rows"] = r
    r = F.cache["rows"]
    if year is None:
        return r
    key = ("rows", year)
    if key not in F.cache:
        F.cache[key] = r[(r["year"] == year).to_numpy()]
    return F.cache[key]


def _fen_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Income components in integer fen (blank = 0), inputs only (see :data:`COMPONENTS`)."""
    cols = {}
    for k in COMPONENTS:
        if k in rows:
            cols[k] = to_fen(rows[k]).fillna(0).to_numpy(dtype=np.int64)
    items = [k for k in S.INCOME_ITEMS if k in rows]
    if "transfer_income" in rows:
        all_blank = rows[items].isna().all(axis=1).to_numpy() if items else np.ones(len(rows), dtype=bool)
        total = to_fen(rows["transfer_income"]).fillna(0).to_numpy(dtype=np.int64)
        cols["transfer_income"] = np.where(all_blank, total, 0)
    return pd.DataFrame(cols, index=rows.index)


# -----------------------------------------------------------------------------------------------------------------
# I1 bunching just above the exit line
# -----------------------------------------------------------------------------------------------------------------
def i1_bunching(F: Frame, verdict_incomes: pd.DataFrame) -> pd.DataFrame:
    w = float(F.p["window"])
    line = F.exit_fen
    v = verdict_incomes
    if "income_pc_fen" in v:
        fen = pd.to_numeric(v["income_pc_fen"], errors="coerce").to_numpy(dtype=float)
    else:
        fen = np.round(pd.to_numeric(v["income_pc"], errors="coerce").to_numpy(dtype=float) * 100)
    pos = _pos_of(F, v["hh_id"])
    ok = (pos >= 0) & np.isfinite(fen)
    pos, fen = pos[ok], fen[ok]
    pos, first = np.unique(pos, return_index=True)
    fen = fen[first]
    lo, hi, hi2 = line * (1 - w), line * (1 + w), line * (1 + 2 * w)
    inside = (fen >= line) & (fen < hi)
    below = (fen >= lo) & (fen < line)
    above = (fen >= hi) & (fen < hi2)
    out = binomial_indicator(F, pos, inside.astype(float), np.ones(len(pos)))
    nb = unit_sums(F, pos, {"b": below.astype(float), "a": above.astype(float)})
    n = out["n"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sb, sa = nb["b"].to_numpy() / n, nb["a"].to_numpy() / n
    out["x1"], out["x2"] = sb, sa
    return out


# -----------------------------------------------------------------------------------------------------------------
# I2 copied income rows
# -----------------------------------------------------------------------------------------------------------------
def i2_copies(F: Frame, incomes: pd.DataFrame) -> pd.DataFrame:
    rows = audit_rows(F, incomes, F.audit_year)
    comp = _fen_frame(rows)
    nonzero = (comp != 0).sum(axis=1).to_numpy() if comp.shape[1] else np.zeros(len(rows), dtype=int)
    elig = nonzero >= int(F.p["min_components"])
    comp, pos = comp[elig], rows["pos"].to_numpy()[elig]
    vec = (
        pd.util.hash_pandas_object(comp, index=False).to_numpy(dtype=np.uint64)
        if len(comp)
        else np.zeros(0, dtype=np.uint64)
    )
    vcode = pd.factorize(vec)[0] if len(vec) else np.zeros(0, dtype=np.int64)
    cty = F.county_of_hh[pos]
    U = len(F.units)
    # county counts per vector
    cv = pd.DataFrame({"c": cty, "v": vcode}).groupby(["c", "v"]).size().rename("cnt")
    s2 = (cv.astype(float) ** 2).groupby(level="c").sum()
    ncty = int(F.county_of_unit.max()) + 1 if U else 0
    S2 = s2.reindex(range(ncty), fill_value=0.0).to_numpy()
    Ncty = np.bincount(cty, minlength=ncty).astype(float)
    # unit counts per vector
    j = F.members.merge(pd.DataFrame({"pos": pos, "v": vcode}), on="pos", how="inner")
    uv = j.groupby(["unit_id", "v"]).size().rename("u").reset_index()
    uv["c"] = F.county_of_unit[uv["unit_id"].to_numpy()]
    uv["cnt"] = cv.reindex(pd.MultiIndex.from_arrays([uv["c"], uv["v"]])).to_numpy(dtype=float)
    u = uv["u"].to_numpy(dtype=float)
    g = (
        pd.DataFrame(
            {
                "unit_id": uv["unit_id"],
                "n": u,
                "pairs": u * (u - 1) / 2,
                "dup": np.where(u >= 2, u, 0.0),
                "cu": uv["cnt"].to_numpy() * u,
                "uu": u * u,
            }
        )
        .groupby("unit_id")
        .sum()
    )
    g = g.reindex(range(U), fill_value=0.0)
    n, pairs, dup = g["n"].to_numpy(), g["pairs"].to_numpy(), g["dup"].to_numpy()
    N = Ncty[F.county_of_unit]
    other = N - n
    with np.errstate(divide="ignore", invalid="ignore"):
        sum_q2 = (S2[F.county_of_unit] - 2 * g["cu"].to_numpy() + g["uu"].to_numpy()) / other**2
        mean = n * (n - 1) / 2 * sum_q2
        value = np.where(n > 0, dup / n, np.nan)
    # reference shown: the share of households with a copy in their own unit, among the county's other units of the
    # same type
    typ = (F.units["unit_type"] == F.units["unit_type"].iloc[0]).to_numpy() if U else np.zeros(0, dtype=bool)
    key = F.county_of_unit * 2 + typ.astype(int)
    tot_dup = np.bincount(key, weights=dup, minlength=2 * ncty)[key]
    tot_n = np.bincount(key, weights=n, minlength=2 * ncty)[key]
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = np.where(tot_n - n > 0, (tot_dup - dup) / (tot_n - n), np.nan)
    undefined = ~(other > 0) | ~(n > 0)
    p = np.where(F.tested & ~undefined, poisson_tail(pairs, np.nan_to_num(mean)), np.nan)
    out = pd.DataFrame(
        {
            "unit_id": np.arange(U),
            "n": n,
            "k": dup,
            "value": value,
            "reference": reference,
            "p": p,
            "undefined": undefined,
        }
    )
    out["x1"], out["x2"] = pairs, mean
    return out


# -----------------------------------------------------------------------------------------------------------------
# I3 round numbers
# -----------------------------------------------------------------------------------------------------------------
def i3_round(F: Frame, incomes: pd.DataFrame) -> pd.DataFrame:
    rows = audit_rows(F, incomes, F.audit_year)
    comp = _fen_frame(rows).to_numpy(dtype=np.int64) if len(rows) else np.zeros((0, 0), dtype=np.int64)
    unit = int(round(float(F.p["round_yuan"]) * 100))
    nz = comp != 0
    rnd = nz & (comp % unit == 0)
    pos = rows["pos"].to_numpy()
    out = binomial_indicator(F, pos, rnd.sum(axis=1).astype(float), nz.sum(axis=1).astype(float))
    return out


# -----------------------------------------------------------------------------------------------------------------
# I4 estimated, not verified
# -----------------------------------------------------------------------------------------------------------------
def i4_estimated(F: Frame, incomes: pd.DataFrame) -> pd.DataFrame:
    rows = audit_rows(F, incomes, F.audit_year)
    src = rows["data_source"].astype(object)
    known = src.isin(S.INCOME_SOURCES).fillna(False).to_numpy(dtype=bool)
    est = (src == "预估").fillna(False).to_numpy(dtype=bool)
    out = binomial_indicator(F, rows["pos"].to_numpy(), est.astype(float), known.astype(float))
    return out


# -----------------------------------------------------------------------------------------------------------------
# I5 visits on one day
# -----------------------------------------------------------------------------------------------------------------
def i5_one_day(F: Frame) -> pd.DataFrame:
    d = pd.to_datetime(F.ex["last_visit"], errors="coerce").dt.normalize()
    ok = d.notna().to_numpy()
    pos = np.flatnonzero(ok)
    dcode, dates = pd.factorize(d[ok], sort=True)
    cty = F.county_of_hh[pos]
    U = len(F.units)
    ncty = int(F.county_of_unit.max()) + 1 if U else 0
    Ncty = np.bincount(cty, minlength=ncty).astype(float)
    cd = pd.DataFrame({"c": cty, "d": dcode}).groupby(["c", "d"]).size().rename("cnt")
    j = F.members.merge(pd.DataFrame({"pos": pos, "d": dcode}), on="pos", how="inner")
    ud = j.groupby(["unit_id", "d"]).size().rename("u").reset_index()
    n = np.bincount(ud["unit_id"], weights=ud["u"], minlength=U)
    # the unit's most frequent date (earliest on a tie)
    ud = ud.sort_values(["unit_id", "u", "d"], ascending=[True, False, True], kind="stable")
    top = ud.drop_duplicates("unit_id").set_index("unit_id").reindex(range(U))
    k = top["u"].fillna(0).to_numpy(dtype=float)
    mode_d = top["d"].to_numpy()
    N = Ncty[F.county_of_unit]
    other = N - n
    need = F.tested & (other > 0) & (n > 0)
    p = np.full(U, np.nan)
    if need.any():
        # base: every county date at its full count, via the histogram of date counts per county
        hist = cd.reset_index().groupby(["c", "cnt"]).size().rename("m").reset_index()
        tu = pd.DataFrame({"unit_id": np.flatnonzero(need)})
        tu["c"] = F.county_of_unit[tu["unit_id"]]
        b = tu.merge(hist, on="c", how="inner")
        uid = b["unit_id"].to_numpy()
        terms = b["m"].to_numpy() * binom_tail(k[uid], n[uid], np.minimum(b["cnt"].to_numpy() / other[uid], 1.0))
        base = np.bincount(uid, weights=terms, minlength=U)
        # correction on the unit's own dates: the county count without the unit (floored at half a visit)
        own = ud[need[ud["unit_id"].to_numpy()]]
        ou = own["unit_id"].to_numpy()
        c_full = cd.reindex(pd.MultiIndex.from_arrays([F.county_of_unit[ou], own["d"].to_numpy()])).to_numpy(float)
        c_wo = c_full - own["u"].to_numpy()
        q_full = np.minimum(c_full / other[ou], 1.0)
        q_wo = np.minimum(np.maximum(c_wo, 0.5) / other[ou], 1.0)
        corr = binom_tail(k[ou], n[ou], q_wo) - binom_tail(k[ou], n[ou], q_full)
        total = base + np.bincount(ou, weights=corr, minlength=U)
        p = np.where(need, np.minimum(np.maximum(total, 0.0), 1.0), np.nan)
    # reference shown: the county's share (without the unit) of the unit's most frequent date
    md = np.where(np.isnan(mode_d.astype(float)), -1, mode_d.astype(float)).astype(np.int64)
    has = md >= 0
    cfull = np.full(U, np.nan)
    if has.any():
        cfull[has] = cd.reindex(pd.MultiIndex.from_arrays([F.county_of_unit[has], md[has]])).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, k / n, np.nan)
        reference = np.where(other > 0, (cfull - k) / other, np.nan)
    date_txt = pd.Series(
        np.where(
            has, np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)[np.maximum(md, 0)] if len(dates) else "", ""
        ),
        dtype=object,
    )
    out = pd.DataFrame(
        {
            "unit_id": np.arange(U),
            "n": n,
            "k": k,
            "value": value,
            "reference": reference,
            "p": p,
            "undefined": ~(other > 0) | ~(n > 0),
        }
    )
    out["date"] = date_txt.to_numpy()
    return out


# -----------------------------------------------------------------------------------------------------------------
# I6 pasted measures
# -----------------------------------------------------------------------------------------------------------------
def normalise_text(s: pd.Series) -> pd.Series:
    """措施内容 compared after NFKC (full-width spaces, digits) and trimming; blank -> NA."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.astype(object).where(s.notna(), None).to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    t = pc.utf8_trim_whitespace(pc.utf8_normalize(arr, form="NFKC"))
    t = pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)
    return pd.Series(t.to_numpy(zero_copy_only=False), index=s.index, dtype=object)


def i6_pasted(F: Frame, measures: pd.DataFrame) -> pd.DataFrame:
    r = measures
    r = r[(pd.to_numeric(r["year"], errors="coerce") == F.audit_year).to_numpy()]
    pos = _pos_of(F, r["hh_id"])
    text = normalise_text(r["content"]).to_numpy(dtype=object)
    ok = (pos >= 0) & pd.notna(text)
    pos, text = pos[ok], text[ok]
    tcode = pd.factorize(text)[0] if len(text) else np.zeros(0, dtype=np.int64)
    cty = F.county_of_hh[pos]
    # a text is "pasted" when it is the text of at least two households of the county
    g = pd.DataFrame({"c": cty, "t": tcode, "pos": pos}).drop_duplicates()
    nh = g.groupby(["c", "t"]).size()
    shared = nh.reindex(pd.MultiIndex.from_arrays([cty, tcode])).to_numpy() >= 2 if len(pos) else np.zeros(0, bool)
    k_h = np.bincount(pos, weights=shared.astype(float), minlength=len(F.ex))
    n_h = np.bincount(pos, minlength=len(F.ex)).astype(float)
    hp = np.flatnonzero(n_h > 0)
    out = binomial_indicator(F, hp, k_h[hp], n_h[hp])
    return out


# -----------------------------------------------------------------------------------------------------------------
# I7 income jumps at exit
# -----------------------------------------------------------------------------------------------------------------
def i7_jumps(F: Frame, incomes: pd.DataFrame) -> pd.DataFrame:
    rows = audit_rows(F, incomes, None)
    calc = recompute_income(rows, F.count_medical)
    nm = (
        pd.to_numeric(rows["n_members"], errors="coerce").to_numpy(dtype=float)
        if "n_members" in rows
        else np.full(len(rows), np.nan)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pc = np.where(nm > 0, calc["disposable_fen"].to_numpy(dtype=float) / nm, np.nan)
    t = pd.DataFrame({"pos": rows["pos"].to_numpy(), "year": rows["year"].to_numpy(dtype=float), "pc": pc})
    t = t[np.isfinite(t["pc"].to_numpy())]
    ey = F.ex["exit_year"].to_numpy(dtype=float) if "exit_year" in F.ex else np.full(len(F.ex), np.nan)
    t["ey"] = ey[t["pos"].to_numpy()]
    cur = t[t["year"] == t["ey"]].set_index("pos")["pc"]
    prev = t[t["year"] == t["ey"] - 1].set_index("pos")["pc"]
    both = cur.index.intersection(prev.index)
    pos = both.to_numpy()
    y = ey[pos]
    lines = F.lines_fen
    l_cur = np.array([lines.get(int(v), np.nan) for v in y], dtype=float) if len(y) else np.zeros(0)
    l_prev = np.array([lines.get(int(v) - 1, np.nan) for v in y], dtype=float) if len(y) else np.zeros(0)
    ok = np.isfinite(l_cur) & np.isfinite(l_prev)
    pos, c, pv, l_cur, l_prev = pos[ok], cur[both].to_numpy()[ok], prev[both].to_numpy()[ok], l_cur[ok], l_prev[ok]
    jump = (pv < l_prev) & (c >= l_cur) & (c > float(F.p["jump_factor"]) * pv)
    out = binomial_indicator(F, pos, jump.astype(float), np.ones(len(pos)))
    return out


# -----------------------------------------------------------------------------------------------------------------
# sentences (built only for the rows a reader sees: tested or not computable)
# -----------------------------------------------------------------------------------------------------------------
def describe(ind: str, d: pd.DataFrame, F: Frame) -> pd.Series:
    """The sentence in words for indicator ``ind`` on the rows ``d`` (columns of the indicator's frame)."""
    v, r, k, n = pct(d["value"]), pct(d["reference"]), ints(d["k"]), ints(d["n"])
    if ind == "I1":
        w = float(F.p["window"])
        band = f"{yuan(F.exit_fen)}–{yuan(F.exit_fen * (1 + w))}元"
        s = (
            "收入恰好高于脱贫线（"
            + band
            + "）的户占"
            + v
            + "（"
            + k
            + "/"
            + n
            + "户），全县为"
            + r
            + "；线下"
            + f"{w:.0%}"
            + "以内占"
            + pct(d["x1"])
            + "，线上"
            + f"{w:.0%}–{2 * w:.0%}"
            + "占"
            + pct(d["x2"])
        )
    elif ind == "I2":
        s = (
            "收入各项（"
            + str(int(F.p["min_components"]))
            + "项以上非零）与本单位另一户完全相同的户占"
            + v
            + "（"
            + k
            + "/"
            + n
            + "户，相同的户对"
            + ints(d["x1"])
            + "对，按全县随机相同的概率应约"
            + sig2(d["x2"])
            + "对），全县为"
            + r
        )
    elif ind == "I3":
        s = (
            "收入分项金额为"
            + yuan(int(round(float(F.p["round_yuan"]) * 100)))
            + "元整数倍的占"
            + v
            + "（"
            + k
            + "/"
            + n
            + "项），全县为"
            + r
        )
    elif ind == "I4":
        s = str(F.audit_year) + "年收入数据来源为“预估”的户占" + v + "（" + k + "/" + n + "户），全县为" + r
    elif ind == "I5":
        s = (
            n
            + "户中"
            + k
            + "户的最近走访日期同为"
            + pd.Series(d["date"].to_numpy(dtype=object))
            + "（占"
            + v
            + "），全县其余户在该日走访的占"
            + r
        )
    elif ind == "I6":
        s = str(F.audit_year) + "年帮扶措施内容与其他户一字不差的占" + v + "（" + k + "/" + n + "条），全县为" + r
    else:
        s = (
            "脱贫当年人均收入由上年低于脱贫线跃升至线上且增幅超过"
            + f"{float(F.p['jump_factor']):g}"
            + "倍的户占"
            + v
            + "（"
            + k
            + "/"
            + n
            + "户），全县为"
            + r
        )
    return pd.Series(s.to_numpy(dtype=object), index=d.index)
