"""The risk-guided stratified draw and the 抽查名单 workbook.

Design (audit_standards.md "Spot checks", docs/risk.md):

* frame = per county, exited households whose verdict is one of the 保持脱贫 kinds;
* strata = ``risk_bands`` equal-size bands of the calibrated risk within the county (+ an optional certainty stratum
  of households at or above ``certainty_threshold``, taken whole);
* allocation = Neyman on the bands' mean risk (S_h = √(p̄_h(1−p̄_h))), computed as the optimal *integer* allocation
  (greedy on the variance reduction N_h²S_h²/(a(a+1)), which is exact for this separable convex problem), starting
  from the lower bounds L_h = max(min_per_stratum, ⌈pi_floor_share·n·N_h/N⌉) capped by N_h — so every frame household
  has inclusion probability ≥ pi_floor_share·n/N > 0;
* selection = stratified simple random sampling without replacement by permanent random numbers: u_i = a keyed hash
  of (seed, 户编号) mapped to (0, 1); a stratum takes its n_h smallest u_i. Because the allocation never shrinks when n
  grows (bounds and greedy are monotone), a larger n with the same seed contains the smaller sample;
* inclusion probability π_i = n_h/N_h, weight N_h/n_h;
* optional stratum 数据真实性 (``spot_check.integrity_stratum``): the frame households of units the integrity screen
  flagged (outside the certainty stratum) are taken out of the risk bands and form one more stratum, allocated by the
  same Neyman greedy with the same lower bounds (its mean risk as S_h): every household is still in exactly one
  stratum, so π_i = n_h/N_h stays known and > 0 and the weighted estimates stay unbiased.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd

from .. import schema as S

KEPT_PREFIX = "保持脱贫"
CERTAINTY_LABEL = "必查"
INTEGRITY_LABEL = "数据真实性"
INTEGRITY_TEXT = "数据真实性筛查标记单位的户，单独成层；"
CONCLUSIONS = list(S.INSPECTION_CONCLUSIONS)
LIST_COLUMNS = [
    "户编号",
    "乡（镇）",
    "行政村",
    "户主姓名",
    "联系电话",
    "分层",
    "风险评分",
    "入样概率",
    "权重",
    "核查结论",
    "核实人均可支配收入",
    "三保障问题说明",
    "核查人",
    "核查日期",
    "备注",
]
DESIGN_SHEET = "抽样设计"
NOTE_SHEET = "说明"
DESIGN_COLUMNS = [
    "县（市、区）",
    "工作表",
    "分层",
    "风险范围",
    "总户数N",
    "样本量n",
    "入样概率",
    "分配方法",
    "平均预测风险",
    "随机种子",
    "模型版本",
    "抽样框哈希",
]
_BAND_NAMES = {
    1: ["全部"],
    2: ["低风险", "高风险"],
    3: ["低风险", "中风险", "高风险"],
    4: ["低风险", "较低风险", "较高风险", "高风险"],
    5: ["低风险", "较低风险", "中风险", "较高风险", "高风险"],
}


def band_names(k: int) -> list[str]:
    return _BAND_NAMES.get(k, [f"风险第{i + 1}层" for i in range(k)])


# ---------------------------------------------------------------------------------------------------------------
# Frame, permanent random numbers, strata
# ---------------------------------------------------------------------------------------------------------------
def sampling_frame(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Households kept as exited (verdict 保持脱贫 / 保持脱贫（兜底） / 保持脱贫（限期整改）)."""
    kept = verdicts["verdict"].astype(object).fillna("").astype(str).str.startswith(KEPT_PREFIX)
    return verdicts[kept.to_numpy()].drop_duplicates(["county", "hh_id"] if "county" in verdicts else ["hh_id"])


def permanent_random_numbers(hh_id: pd.Series, seed: int) -> pd.Series:
    """u_i in (0, 1) from SHA-256 of ``"<seed>:<户编号>"`` (first 53 bits): the same household gets the same number for
    the same seed on every machine and every version of the package (a hash, not a random generator, so it never
    depends on the order of the frame). One hash per household; hashlib has no vectorised form."""
    ids = hh_id.astype(object).astype(str).to_numpy()
    ints = [int.from_bytes(hashlib.sha256(f"{seed}:{h}".encode("utf-8")).digest()[:8], "big") >> 11 for h in ids]
    return pd.Series((np.asarray(ints, dtype=np.float64) + 0.5) / 2.0**53, index=hh_id.index, name="u")


def frame_hash(frame: pd.DataFrame, risk_col: str = "risk") -> str:
    """SHA-256 of the sorted (户编号, risk) pairs: proves which frame and scores a draw was made from."""
    s = frame.assign(_r=frame[risk_col].astype(float).round(6)).sort_values("hh_id")
    text = "\n".join(s["hh_id"].astype(str) + "|" + s["_r"].map("{:.6f}".format))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def risk_rank(risk: pd.Series, hh_id: pd.Series | None = None) -> pd.Series:
    """0-based rank by risk, ascending (ties broken by 户编号, blanks at the median): the one ordering used for the
    bands and the certainty stratum."""
    from ..text import sorted_codes

    key = sorted_codes(hh_id if hh_id is not None else pd.Series(risk.index))
    r = risk.astype(float)
    r = r.fillna(r.median()).to_numpy()
    order = np.lexsort((key, r))  # by risk, then 户编号 (stable: then position)
    rank = np.empty(len(r), dtype=np.int64)
    rank[order] = np.arange(len(r))
    return pd.Series(rank, index=risk.index)


def assign_bands(risk: pd.Series, k: int, hh_id: pd.Series | None = None, shares=None) -> pd.Series:
    """Band 0..k-1 (0 = lowest risk) by rank (ties broken by 户编号 so bands are reproducible): of equal size, or of
    the given ``shares`` of the frame (lowest band first; e.g. ``[0.5, 0.3, 0.15, 0.05]`` gives finer top bands)."""
    if len(risk) == 0:
        return pd.Series(dtype=int)
    rank = risk_rank(risk, hh_id)
    if shares is not None and len(shares) == k and k > 1:
        sh = np.asarray(shares, dtype=float)
        edges = np.round(np.cumsum(sh / sh.sum())[:-1] * len(risk)).astype(int)  # first rank of bands 1..k-1
        return pd.Series(np.searchsorted(edges, rank.to_numpy(), side="right"), index=risk.index).astype(int)
    k = max(1, min(k, len(risk)))
    return (rank * k // len(risk)).astype(int)


# ---------------------------------------------------------------------------------------------------------------
# Allocation
# ---------------------------------------------------------------------------------------------------------------
def lower_bounds(N_h: np.ndarray, n: int, N: int, min_per_stratum: int, pi_floor_share: float) -> np.ndarray:
    """L_h = min(N_h, max(min_per_stratum, ⌈pi_floor_share·n·N_h/N⌉)) (non-decreasing in n)."""
    N_h = np.asarray(N_h, dtype=int)
    floor = np.ceil(pi_floor_share * n * N_h / max(N, 1) - 1e-9).astype(int)
    return np.minimum(N_h, np.maximum(min_per_stratum, floor))


def neyman_allocation(N_h, p_h, n: int, lower, emphasis: float = 0.0) -> np.ndarray:
    """Optimal integer Neyman allocation of ``n`` with lower bounds ``lower`` and upper bounds N_h.

    Greedy: start at the bounds, give each further unit to the stratum with the largest variance reduction
    N_h²S_h²/(a(a+1)) (ties: the higher-risk stratum). Exact for this separable convex problem, and monotone in n.
    ``emphasis`` g > 0 multiplies each stratum's N_h S_h by (p_h/p̄)^g (p̄ = the N-weighted mean risk): a compromise
    that visits high-risk bands more often (more problems found) at the cost of a larger variance; g = 0 is Neyman.
    """
    N_h = np.asarray(N_h, dtype=int)
    S_h = np.sqrt(
        np.clip(np.asarray(p_h, float), 1e-3, 1 - 1e-3) * (1 - np.clip(np.asarray(p_h, float), 1e-3, 1 - 1e-3))
    )
    if emphasis:
        p = np.clip(np.asarray(p_h, float), 1e-3, 1 - 1e-3)
        pbar = float((N_h * p).sum() / max(N_h.sum(), 1))
        S_h = S_h * (p / pbar) ** float(emphasis)
    a = np.minimum(np.asarray(lower, dtype=int), N_h).copy()
    rest = int(min(n, N_h.sum()) - a.sum())
    tie = np.arange(len(N_h)) * 1e-12  # prefer the higher band index (higher risk) on exact ties
    for _ in range(max(rest, 0)):
        gain = np.where(a < N_h, (N_h * S_h) ** 2 / np.maximum(a * (a + 1), 1e-9) * (a > 0) + (a == 0) * 1e300, -1.0)
        gain = gain * (1 + tie)
        h = int(np.argmax(gain))
        if gain[h] < 0:
            break
        a[h] += 1
    return a


def design_county(
    frame: pd.DataFrame,
    n: int,
    bands: int,
    min_per_stratum: int,
    pi_floor_share: float,
    certainty_threshold: float | None = None,
    emphasis: float = 0.0,
    certainty_n: int = 0,
    band_shares=None,
    integrity: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame, list[str]]:
    """Strata and allocation for one county's frame (columns ``hh_id``, ``risk``).

    Certainty stratum 必查 (π = 1): households at or above ``certainty_threshold`` and/or the ``certainty_n``
    highest-risk households of the county. It never takes more than n − bands·min_per_stratum units (the rest keep
    their bands); trimmed by risk order, so a larger n never drops a certainty household. ``band_shares``: shares of
    the rest per band, lowest first (default equal bands).

    ``integrity``: booleans aligned with ``frame`` (households of flagged integrity units); those outside the
    certainty stratum form the stratum 数据真实性, allocated with the bands (Neyman, same lower bounds).

    Returns (stratum label per household, stratum table [stratum, order, N_h, n_h, mean_risk, risk_min, risk_max,
    certainty, integrity], notes).
    """
    notes: list[str] = []
    N = len(frame)
    n = int(min(n, N))
    risk = frame["risk"].astype(float)
    cert = pd.Series(False, index=frame.index)
    if certainty_threshold is not None:
        cert = (risk >= float(certainty_threshold)).fillna(False)
        if cert.sum() and n - int(cert.sum()) < min_per_stratum:
            notes.append(
                f"必查户（风险≥{certainty_threshold}）有 {int(cert.sum())} 户，超过样本量可容纳的数目，本县不设必查层"
            )
            cert[:] = False
    if certainty_n and n < N:
        room = max(0, n - int(bands) * int(min_per_stratum))
        c = int(min(int(certainty_n), room, N))
        if c < int(certainty_n):
            notes.append(f"样本量 {n} 户容纳不下必查 {int(certainty_n)} 户，本县必查层取风险最高的 {c} 户")
        if c > 0:
            cert = cert | (risk_rank(risk, frame["hh_id"]) >= N - c)
    n_rest = n - int(cert.sum())
    integ = pd.Series(False, index=frame.index)
    if integrity is not None:
        integ = integrity.reindex(frame.index).fillna(False).astype(bool) & ~cert
    N_int = int(integ.sum())
    rest = frame[~cert & ~integ]
    N_rest = len(rest)
    k = max(1, min(bands, N_rest))
    while (
        k > 1
        and lower_bounds(
            np.r_[np.full(k, N_rest // k), [N_int] if N_int else []], n_rest, N, min_per_stratum, pi_floor_share
        ).sum()
        > n_rest
    ):
        k -= 1
    if k < bands and N_rest:
        notes.append(f"样本量较小，风险分层由 {bands} 层减为 {k} 层（每层至少 {min_per_stratum} 户）")
    shares = band_shares if (band_shares is not None and k == bands) else None
    band = assign_bands(rest["risk"], k, rest["hh_id"], shares) if N_rest else pd.Series(dtype=int)
    names = band_names(k)
    label = pd.Series(CERTAINTY_LABEL, index=frame.index, dtype=object)
    label[~cert & ~integ] = band.map(dict(enumerate(names))).to_numpy(dtype=object) if N_rest else None
    label[integ] = INTEGRITY_LABEL
    rows = []
    if N_rest or N_int:
        g = rest.assign(_b=band).groupby("_b")["risk"] if N_rest else None
        N_h = g.size().reindex(range(k), fill_value=0).to_numpy() if N_rest else np.zeros(0, dtype=int)
        p_h = g.mean().reindex(range(k)).fillna(0.5).to_numpy() if N_rest else np.zeros(0)
        ri = risk[integ]
        if N_int:  # the integrity stratum joins the allocation as one more stratum (after the bands)
            N_h, p_h = np.r_[N_h, N_int].astype(int), np.r_[p_h, float(ri.mean()) if ri.notna().any() else 0.5]
        L = lower_bounds(N_h, n, N, min_per_stratum, pi_floor_share)
        a = neyman_allocation(N_h, p_h, n_rest, L, emphasis) if n_rest > 0 else np.zeros(len(N_h), dtype=int)
        lo, hi = (g.min(), g.max()) if N_rest else (None, None)
        for b in range(k if N_rest else 0):
            rows.append(
                {
                    "stratum": names[b],
                    "order": b,
                    "N_h": int(N_h[b]),
                    "n_h": int(a[b]),
                    "mean_risk": float(p_h[b]),
                    "risk_min": float(lo.get(b, np.nan)),
                    "risk_max": float(hi.get(b, np.nan)),
                    "certainty": False,
                    "integrity": False,
                }
            )
        if N_int:
            rows.append(
                {
                    "stratum": INTEGRITY_LABEL,
                    "order": k,
                    "N_h": N_int,
                    "n_h": int(a[-1]),
                    "mean_risk": float(p_h[-1]),
                    "risk_min": float(ri.min()),
                    "risk_max": float(ri.max()),
                    "certainty": False,
                    "integrity": True,
                }
            )
    if cert.any():
        rc = risk[cert]
        rows.append(
            {
                "stratum": CERTAINTY_LABEL,
                "order": k + (1 if N_int else 0),
                "N_h": int(cert.sum()),
                "n_h": int(cert.sum()),
                "mean_risk": float(rc.mean()),
                "risk_min": float(rc.min()),
                "risk_max": float(rc.max()),
                "certainty": True,
                "integrity": False,
            }
        )
    return label, pd.DataFrame(rows), notes


def draw_sample(
    frame: pd.DataFrame,
    n: int,
    seed: int,
    *,
    bands: int,
    min_per_stratum: int,
    pi_floor_share: float,
    certainty_threshold: float | None = None,
    model_version: str = "",
    hit_emphasis: float = 0.0,
    certainty_n: int = 0,
    band_shares=None,
    integrity_stratum: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Draw per county. ``frame`` columns: county, hh_id, risk (+ any others, carried to the sample).
    ``integrity_stratum``: the frame's boolean column ``integrity`` (households of flagged integrity units) forms the
    stratum 数据真实性 (:func:`design_county`).

    Returns ``(sample, design, frame_out, notes)``: the drawn households with stratum, u, π and weight; the design
    table (per county and stratum: N_h, n_h, π, mean risk, seed, model version, frame hash); the whole frame with
    stratum, u and π (π > 0 for every household); notes in Chinese.
    """
    out, designs, notes = [], [], []
    for county, fr in frame.groupby("county", sort=True):
        fr = fr.copy()
        label, table, nts = design_county(
            fr,
            n,
            bands,
            min_per_stratum,
            pi_floor_share,
            certainty_threshold,
            hit_emphasis,
            certainty_n,
            band_shares,
            fr["integrity"] if integrity_stratum and "integrity" in fr else None,
        )
        notes += [f"{county}：{t}" for t in nts]
        fr["stratum"] = label
        fr["u"] = permanent_random_numbers(fr["hh_id"], seed)
        t = table.set_index("stratum")
        fr["N_h"] = fr["stratum"].map(t["N_h"])
        fr["n_h"] = fr["stratum"].map(t["n_h"])
        fr["pi"] = fr["n_h"] / fr["N_h"]
        rank = fr.groupby("stratum")["u"].rank(method="first")
        fr["selected"] = rank <= fr["n_h"]
        fr["weight"] = fr["N_h"] / fr["n_h"].where(fr["n_h"] > 0)
        out.append(fr)
        fh = frame_hash(fr)
        designs.append(
            table.assign(
                county=county,
                pi=table["n_h"] / table["N_h"],
                seed=int(seed),
                model_version=model_version,
                frame_hash=fh,
                N=len(fr),
                emphasis=hit_emphasis,
                certainty_n=int(certainty_n or 0),
            )
        )
    frame_out = pd.concat(out) if out else frame.assign(stratum=None, u=np.nan, pi=np.nan, selected=False)
    design = pd.concat(designs, ignore_index=True) if designs else pd.DataFrame()
    sample = frame_out[frame_out["selected"]].sort_values(["county", "u"]).reset_index(drop=True)
    return sample, design, frame_out, notes


# ---------------------------------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------------------------------
TRADEOFF_SHEET_COLUMNS = [
    "设计",
    "预期命中率",
    "相对随机抽样",
    "全市区间平均宽度",
    "各县区间平均宽度",
    "宽度相对纯Neyman",
    "全市区间覆盖率",
    "各县区间覆盖率",
    "必查户数",
    "本次采用",
]


def _write_tradeoff(ws, tradeoff: pd.DataFrame, head_font, head_fill) -> None:
    """Below the strata of 抽样设计: the design trade-off table (so the city can choose another point)."""
    r = ws.max_row + 2
    _text(
        ws.cell(r, 1),
        "设计取舍：同一抽样框与样本量下各种设计的预期命中率、95%区间平均宽度与覆盖率（按风险评分模拟，"
        "假定模型校准准确；改用其他设计请修改参数文件 spot_check 的 certainty_n、hit_emphasis、band_shares）",
    )
    ws.cell(r, 1).font = head_font
    r += 1
    for j, c in enumerate(TRADEOFF_SHEET_COLUMNS, start=1):
        cell = ws.cell(r, j)
        _text(cell, c)
        cell.font, cell.fill = head_font, head_fill
    pct = {"预期命中率", "全市区间平均宽度", "各县区间平均宽度", "全市区间覆盖率", "各县区间覆盖率"}
    for rec in tradeoff.reindex(columns=TRADEOFF_SHEET_COLUMNS).to_dict(orient="records"):
        r += 1
        for j, c in enumerate(TRADEOFF_SHEET_COLUMNS, start=1):
            v = rec[c]
            if isinstance(v, str) or v is None:
                _text(ws.cell(r, j), v)
            elif c == "必查户数":
                ws.cell(r, j, int(v)).number_format = "#,##0"
            else:
                ws.cell(r, j, float(v)).number_format = "0.0%" if c in pct else '0.00"×"'


def sheet_name(county: str) -> str:
    """Worksheet name for a county: its name (``441881_英德市`` -> ``英德市``), Excel-safe, ≤ 31 characters."""
    s = str(county)
    code = s[:6] if s[:6].isdigit() else None
    name = S.QINGYUAN_COUNTIES.get(code) if code else None
    if name is None:
        name = s[7:] if code and len(s) > 7 else s
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "县"


def _text(cell, value):
    """Write ``value`` as text: never a formula, even when it starts with = + - @."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        cell.value = None
        return
    cell.value = str(value)
    cell.data_type = "s"
    cell.number_format = "@"
    if str(value)[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def write_spot_list(
    sample: pd.DataFrame,
    design: pd.DataFrame,
    path,
    year: int,
    notes: list[str],
    fallback: bool,
    model_version: str,
    tradeoff: pd.DataFrame | None = None,
) -> None:
    """Write 抽查名单_<year>.xlsx: one sheet per county (LIST_COLUMNS), then 抽样设计 (with the design trade-off
    table of :func:`hgk_lib.risk.tradeoff.tradeoff_table` below the strata, when given), then 说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.remove(wb.active)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    widths = [16, 12, 12, 10, 15, 10, 10, 10, 9, 18, 16, 24, 10, 12, 30]
    for county in sorted(sample["county"].unique()) if len(sample) else []:
        s = sample[sample["county"] == county].sort_values(["stratum", "u"])
        ws = wb.create_sheet(sheet_name(county))
        ws.append(LIST_COLUMNS)
        for c in ws[1]:
            c.font, c.fill = head_font, head_fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for r, row in enumerate(s.itertuples(index=False), start=2):
            rec = row._asdict()
            for j, key in enumerate(["hh_id", "township", "village", "head_name", "phone", "stratum"], start=1):
                _text(ws.cell(r, j), rec.get(key))
            ws.cell(r, 7, float(rec["risk"])).number_format = "0.0000"
            ws.cell(r, 8, float(rec["pi"])).number_format = "0.0000"
            ws.cell(r, 9, float(rec["weight"])).number_format = "0.00"
            ws.cell(r, 11).number_format = "0.00"
            ws.cell(r, 14).number_format = "yyyy-mm-dd"
        last = max(ws.max_row, 2)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(CONCLUSIONS) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="核查结论",
            error="请从下拉列表选择：" + "、".join(CONCLUSIONS),
        )
        dv.add(f"J2:J{last}")
        num = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="核实人均可支配收入",
            error="请填写不小于 0 的金额（元）",
        )
        num.add(f"K2:K{last}")
        ws.add_data_validation(dv)
        ws.add_data_validation(num)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:O{last}"
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[ws.cell(1, j).column_letter].width = w
    ws = wb.create_sheet(DESIGN_SHEET)
    ws.append(DESIGN_COLUMNS)
    for c in ws[1]:
        c.font, c.fill = head_font, head_fill
    emph = float(design["emphasis"].iloc[0]) if len(design) and "emphasis" in design else 0.0
    alloc = (
        ("透明评分分层 + " if fallback else "")
        + ("Neyman 分配" if not emph else f"Neyman 分配（高风险加权 g={emph:g}）")
        + "（每层下限、入样概率下限）"
    )
    cert_n = int(design["certainty_n"].iloc[0]) if len(design) and "certainty_n" in design else 0
    cert_text = (
        (("透明评分" if fallback else "风险") + f"最高的 {cert_n} 户必查（全部入样）") if cert_n else "必查（全部入样）"
    )
    for d in design.sort_values(["county", "order"]).itertuples(index=False):
        rng = f"{d.risk_min:.4f}–{d.risk_max:.4f}"
        vals = [
            d.county,
            sheet_name(d.county),
            d.stratum,
            rng,
            int(d.N_h),
            int(d.n_h),
            float(d.pi),
            cert_text if d.certainty else (INTEGRITY_TEXT + alloc if getattr(d, "integrity", False) is True else alloc),
            float(d.mean_risk),
            int(d.seed),
            d.model_version,
            d.frame_hash,
        ]
        r = ws.max_row + 1
        for j, v in enumerate(vals, start=1):
            if isinstance(v, str):
                _text(ws.cell(r, j), v)
            else:
                ws.cell(r, j, v)
        ws.cell(r, 7).number_format = "0.0000"
        ws.cell(r, 9).number_format = "0.0000"
    if tradeoff is not None and len(tradeoff):
        _write_tradeoff(ws, tradeoff, head_font, head_fill)
    ws.freeze_panes = "A2"
    for j, w in enumerate([18, 12, 10, 16, 10, 9, 10, 36, 12, 12, 28, 66], start=1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = w
    ws = wb.create_sheet(NOTE_SHEET)
    lines = [
        f"{year} 年回头看抽查名单",
        f"模型版本：{model_version}",
        "用途：仅用于安排入户核查的先后与抽样，不作为取消或减少任何帮扶政策的依据。",
        "核查结论请从下拉列表选择：" + "、".join(CONCLUSIONS) + "；核实人均可支配收入填写元（两位小数）。",
        "入样概率与权重用于全市、各县问题比例的加权估计，请勿修改。",
    ]
    if fallback:
        lines.append(
            "注意：历史核查结果中的问题户少于规定数目，未训练风险模型；风险评分为透明评分规则（见风险模型卡）折算，"
            "不是经校准的概率。"
        )
    lines += notes
    for i, ln in enumerate(lines, start=1):
        _text(ws.cell(i, 1), ln)
    ws.column_dimensions["A"].width = 120
    from ..io.safe import atomic_write

    with atomic_write(path) as tmp:
        wb.save(tmp)
