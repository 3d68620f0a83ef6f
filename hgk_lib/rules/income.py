"""收入 (income): R32–R44.

Income rows hit by R32(a), (b) or (d) are left out of every other rule (``ctx.incomes``). D* = wage + business
income + property income + transfer income − abs(business cost) − transfer out (blank items 0); N = 年度家庭人口数
when > 0, else A for the audit-year row only (A ≥ 1), else undefined; P* = D*/N. Amount comparisons are made on the
difference rounded to the fen (0.01 yuan), so "exactly at the tolerance" never fires through float noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .build import findings
from .context import RuleContext
from .engine import NotRun, Parts, header, mask, num, q, rule, shown
from .person import post_holder, works

EPS = 1e-9
R33_COLUMNS = [
    "n_members",
    "wage",
    "wage_pwj",
    "business_income",
    "property_income",
    "property_dividend",
    "transfer_income",
    "family_planning",
    "dibao_income",
    "tekun_income",
    "pension_income",
    "eco_comp",
    "medical_reimb",
    "other_transfer",
    "transfer_out",
]
R32E_COLUMNS = ["wage", "business_income", "business_cost", "property_income", "transfer_income"]


def _amt(df: pd.DataFrame, key: str) -> pd.Series:
    return df[key].astype(float) if key in df else pd.Series(np.nan, index=df.index)


def _diff(a: pd.Series, b: pd.Series) -> pd.Series:
    """|a − b| rounded to the fen."""
    return (a - b).abs().round(2)


@rule("R32")
def r32(ctx: RuleContext, p: dict):
    f = ctx.income_r32_abd
    first = int(p["income_first_year"])
    audit = int(p["audit_year"])
    ha = f[f["r32a"].to_numpy()]
    hb = f[f["r32b"].to_numpy()]
    hd = f[f["r32d"].to_numpy()]
    n_b = hb.groupby(["hh_id", "year"])["hh_id"].transform("size") if len(hb) else pd.Series(dtype=int)
    parts = {
        "a": findings(ctx, ha, "income", ["hh_id"], "户编号" + q(shown(ha, "hh_id")) + "在贫困户信息中不存在"),
        "b": findings(
            ctx,
            hb,
            "income",
            ["hh_id", "year"],
            "同一户同一年度（" + num(hb["year"]) + "年）有" + n_b.astype(str) + "条收入记录",
        ),
    }
    # (c) missing years, per household with a unique 户编号
    h = ctx.hh_unique
    fy = h["first_year"].astype("Float64") if "first_year" in h else pd.Series(np.nan, index=h.index)
    start = fy.fillna(first).clip(lower=first).astype(float).astype(int)
    n_years = (audit - start + 1).clip(lower=0).to_numpy()
    exp = pd.DataFrame(
        {
            "hh_id": pd.Series(np.repeat(h["hh_id"].to_numpy(dtype=object), n_years), dtype=object),
            "_src": np.repeat(np.arange(len(h)), n_years),
        }
    )
    offs = np.arange(len(exp)) - np.repeat(np.cumsum(n_years) - n_years, n_years)
    exp["year"] = np.repeat(start.to_numpy(), n_years) + offs
    have = f.loc[f["hh_id"].notna() & f["year"].notna(), ["hh_id", "year"]].drop_duplicates()
    have = have.assign(year=have["year"].astype(int), _have=True)
    exp = exp.merge(have, on=["hh_id", "year"], how="left")
    miss = exp[exp["_have"].isna().to_numpy()]
    hc = h.iloc[miss["_src"].to_numpy()].copy()
    hc.index = miss.index
    hc["year"] = miss["year"].to_numpy()
    fc = findings(
        ctx,
        hc.drop(columns=[S.ROW_COL], errors="ignore"),
        "income",
        ["year"],
        "缺少"
        + hc["year"].astype(str)
        + "年度的收入记录（应有"
        + pd.Series(start.to_numpy()[miss["_src"].to_numpy()], index=hc.index).astype(str)
        + "–"
        + str(audit)
        + "年）",
        values={"year": hc["year"].astype(str) + "（缺失）"},
    )
    parts["c"] = fc
    yr = hd["year"]
    msg_d = pd.Series("年度为空", index=hd.index, dtype=object)
    nn = yr.notna().to_numpy(dtype=bool)
    msg_d[nn] = "年度为" + num(yr[nn]) + "，不在" + str(first) + "–" + str(audit) + "年范围内"
    parts["d"] = findings(ctx, hd, "income", ["year"], msg_d)
    present = [c for c in R32E_COLUMNS if c in f]
    if present:
        e = f[present].isna().all(axis=1)
        he = f[e.to_numpy()]
        parts["e"] = findings(
            ctx, he, "income", present, "工资性收入、生产经营性收入、生产经营性支出、财产性收入、转移性收入均为空"
        )
    else:
        parts["e"] = None
    return Parts(parts, evaluated=len(f) + len(miss), not_evaluated=len(ctx.households) - len(h))


@rule("R33")
def r33(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    cols = [c for c in R33_COLUMNS if c in inc]
    if not cols:
        raise NotRun("收入信息 缺少全部收入金额列")
    neg = pd.DataFrame({c: (inc[c].astype(float) < 0).to_numpy() for c in cols}, index=inc.index)
    anyneg = neg.any(axis=1).to_numpy()
    hit = inc[anyneg]
    nh = neg[anyneg]
    names = pd.Series("", index=hit.index, dtype=object)
    vals = pd.Series("", index=hit.index, dtype=object)
    for c in cols:
        on = nh[c].to_numpy()
        if on.any():
            names[on] = names[on] + np.where(names[on] == "", "", "、") + header("income", c)
            vals[on] = vals[on] + np.where(vals[on] == "", "", "；") + header("income", c) + "=" + num(hit.loc[on, c])
    f = findings(ctx, hit, "income", [], "收入金额为负数：" + vals)
    f["columns"], f["values"] = names, vals
    return Parts({"": f}, evaluated=len(inc))


@rule("R34")
def r34(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    hit = inc[(inc["business_cost"].astype(float) < 0).to_numpy(dtype=bool, na_value=False)]
    msg = (
        "生产经营性支出录为负数"
        + num(hit["business_cost"])
        + "，计算时按绝对值"
        + num(hit["business_cost"].abs())
        + "处理"
    )
    return Parts({"": findings(ctx, hit, "income", ["business_cost"], msg)}, evaluated=len(inc))


@rule("R35")
def r35(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    tol = float(p["income_tolerance"])
    parts = {}
    items = S.INCOME_ITEMS
    if "transfer_income" in inc and all(c in inc for c in items):
        sub = inc[items].astype(float)
        some = sub.notna().any(axis=1)
        total = sub.fillna(0.0).sum(axis=1)
        t = inc["transfer_income"].astype(float)
        a = mask(some & (_diff(t, total) > tol))
        ha = inc[a.to_numpy()]
        parts["a"] = findings(
            ctx,
            ha,
            "income",
            ["transfer_income"] + items,
            "转移性收入为"
            + num(ha["transfer_income"])
            + "，各分项合计为"
            + num(total[a.to_numpy()])
            + "，相差超过"
            + num(pd.Series([tol])).iloc[0]
            + "元",
        )
    else:
        parts["a"] = None
    if "wage_pwj" in inc and "wage" in inc:
        b = mask((inc["wage_pwj"].astype(float) - inc["wage"].astype(float)).round(2) > tol)
        hb = inc[b.to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "income",
            ["wage_pwj", "wage"],
            "其中：公益性岗位收入" + num(hb["wage_pwj"]) + "元，超过工资性收入" + num(hb["wage"]) + "元",
        )
    else:
        parts["b"] = None
    if "property_dividend" in inc and "property_income" in inc:
        d = inc["property_dividend"].astype(float) - inc["property_income"].astype(float)
        c = mask(d.round(2) > tol)
        hc = inc[c.to_numpy()]
        parts["c"] = findings(
            ctx,
            hc,
            "income",
            ["property_dividend", "property_income"],
            "其中：资产收益扶贫分红收入"
            + num(hc["property_dividend"])
            + "元，超过财产性收入"
            + num(hc["property_income"])
            + "元",
        )
    else:
        parts["c"] = None
    return Parts(parts, evaluated=len(inc))


@rule("R36")
def r36(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    tol = float(p["income_tolerance"])
    rec = inc["disposable_recorded"].astype(float)
    bad = rec.isna() | (_diff(rec, inc["D"]) > tol)
    hit = inc[bad.to_numpy(dtype=bool, na_value=True)]
    blank = hit["disposable_recorded"].isna().to_numpy()
    msg = pd.Series("家庭可支配收入为空（按分项计算应为" + num(hit["D"]) + "元）", index=hit.index, dtype=object)
    msg[~blank] = (
        "家庭可支配收入录为"
        + num(hit["disposable_recorded"])[~blank]
        + "元，按分项计算应为"
        + num(hit["D"])[~blank]
        + "元（相差"
        + num(_diff(hit["disposable_recorded"], hit["D"]))[~blank]
        + "元）"
    )
    return Parts({"": findings(ctx, hit, "income", ["disposable_recorded"], msg)}, evaluated=len(inc))


@rule("R37")
def r37(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    tol = float(p["income_pc_tolerance"])
    defined = inc["N"].notna().to_numpy()
    s = inc[defined]
    rec = s["disposable_pc_recorded"].astype(float)
    expect = s["D"] / s["N"]
    bad = rec.isna() | (_diff(rec, expect) > tol)
    hit = s[bad.to_numpy(dtype=bool, na_value=True)]
    e = expect[bad.to_numpy(dtype=bool, na_value=True)]
    blank = hit["disposable_pc_recorded"].isna().to_numpy()
    base = "（按分项计算家庭可支配收入" + num(hit["D"]) + "元÷" + num(hit["N"]) + "人=" + num(e.round(2)) + "元）"
    msg = pd.Series("人均可支配收入为空" + base, index=hit.index, dtype=object)
    msg[~blank] = (
        "人均可支配收入录为"
        + num(hit["disposable_pc_recorded"])[~blank]
        + "元，应为"
        + num(e.round(2))[~blank]
        + "元"
        + base[~blank]
    )
    return Parts(
        {"": findings(ctx, hit, "income", ["disposable_pc_recorded"], msg)},
        evaluated=len(s),
        not_evaluated=int((~defined).sum()),
    )


@rule("R38")
def r38(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    audit = int(p["audit_year"])
    s = inc[(inc["audit"] & inc["n_members"].notna()).to_numpy()]
    m = ctx.hh_members
    counts = m["hh_id"].value_counts()
    a = s["hh_id"].map(counts).fillna(0).astype(int)
    allm = ctx.members[ctx.members["hh_known"].to_numpy()]
    if "change_reason" in allm and "change_date" in allm:
        in_year = (allm["change_date"].dt.year == audit).fillna(False).astype(bool)
        add = allm["active"] & allm["change_reason"].isin(["新生儿", "嫁入", "补录"]).fillna(False) & in_year
        rem = (allm["member_status"].astype(object) == "自然减少").fillna(False) & in_year
        nadd = s["hh_id"].map(allm.loc[add.to_numpy(), "hh_id"].value_counts()).fillna(0).astype(int)
        nrem = s["hh_id"].map(allm.loc[rem.to_numpy(), "hh_id"].value_counts()).fillna(0).astype(int)
    else:
        nadd = nrem = pd.Series(0, index=s.index)
    n = s["n_members"].astype(int)
    bad = ((n < a - nadd) | (n > a + nrem)).to_numpy()
    hit = s[bad]
    msg = (
        "年度家庭人口数为"
        + num(hit["n_members"])
        + "，正常成员"
        + a[bad].astype(str)
        + "人（本年度新增"
        + nadd[bad].astype(str)
        + "人、自然减少"
        + nrem[bad].astype(str)
        + "人），合理范围为"
        + (a - nadd)[bad].astype(str)
        + "–"
        + (a + nrem)[bad].astype(str)
        + "人"
    )
    return Parts({"": findings(ctx, hit, "income", ["n_members"], msg)}, evaluated=len(s))


@rule("R39")
def r39(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    parts = {}
    pc = inc["P"]
    a = mask(inc["N"].notna() & ((pc.round(2) <= 0) | (pc.round(2) > float(p["income_pc_max"]))))
    ha = inc[a.to_numpy()]
    parts["a"] = findings(
        ctx,
        ha,
        "income",
        ["disposable_pc_recorded"],
        "按分项计算的人均可支配收入为"
        + num(ha["P"].round(2))
        + "元（应大于0且不超过"
        + str(p["income_pc_max"])
        + "元）",
        values={"disposable_pc_recorded": num(ha["P"].round(2)) + "（重算）"},
    )

    def low(key, pmin, label, part):
        if key not in inc:
            parts[part] = None
            return
        v = inc[key].astype(float)
        msk = mask((v > 0) & (v < float(pmin)))
        h = inc[msk.to_numpy()]
        parts[part] = findings(
            ctx, h, "income", [key], label + "为" + num(h[key]) + "元，低于" + str(pmin) + "元，疑似录入错误"
        )

    if "wage" in inc:
        w = inc["wage"].astype(float)
        b = mask(((w > 0) & (w < float(p["wage_min"]))) | (w > float(p["wage_max"])))
        hb = inc[b.to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "income",
            ["wage"],
            "工资性收入为" + num(hb["wage"]) + "元（合理范围" + str(p["wage_min"]) + "–" + str(p["wage_max"]) + "元）",
        )
    else:
        parts["b"] = None
    low("dibao_income", p["dibao_min"], "低保金", "c")
    low("tekun_income", p["tekun_min"], "特困供养金", "d")
    low("family_planning", p["family_planning_min"], "计划生育金", "e")
    low("pension_income", p["pension_income_min"], "养老保险金", "f")
    return Parts(parts, evaluated=len(inc))


@rule("R40")
def r40(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    bi, bc = inc["business_income"].astype(float), inc["business_cost"].astype(float)
    bad = mask((bi > 0) & (bc.isna() | (bc == 0)))
    hit = inc[bad.to_numpy()]
    msg = "生产经营性收入为" + num(hit["business_income"]) + "元，但生产经营性支出为空或0"
    return Parts({"": findings(ctx, hit, "income", ["business_income", "business_cost"], msg)}, evaluated=len(inc))


def _eco_keys(cols) -> list[str]:
    """``eco_land_columns`` given as export headers (or keys) -> household keys."""
    by_header = {S.normalise_header(c.header): c.key for c in S.HOUSEHOLD.columns}
    out = []
    for c in cols or []:
        k = by_header.get(S.normalise_header(str(c)), str(c))
        if k in S.HOUSEHOLD.columns_by_key:
            out.append(k)
    return out


@rule("R41")
def r41(ctx: RuleContext, p: dict):
    keys = _eco_keys(p["eco_land_columns"])
    h = ctx.households
    present = [k for k in keys if k in h]
    if not present:
        raise NotRun("贫困户信息 缺少列：" + "、".join(header("household", k) for k in keys))
    inc = ctx.incomes
    s = inc[(inc["audit"] & (inc["eco_comp"].astype(float) > 0)).to_numpy(dtype=bool, na_value=False)]
    hu = ctx.hh_unique.set_index("hh_id")
    judged = s["hh_id"].isin(hu.index).to_numpy()
    s_ok = s[judged]
    land = hu.loc[s_ok["hh_id"], present]
    land.index = s_ok.index
    no_land = ((land.isna()) | (land.astype(float) <= 0)).all(axis=1)
    hit = s_ok[no_land.to_numpy()]
    lh = land[no_land.to_numpy()]
    land_txt = pd.Series("", index=hit.index, dtype=object)
    for k in present:
        land_txt = land_txt + np.where(land_txt == "", "", "、") + header("household", k) + num(lh[k])
    msg = "审核年度生态补偿金" + num(hit["eco_comp"]) + "元，但" + land_txt + "（均为空或0）"
    f = findings(ctx, hit, "income", ["eco_comp"], msg)
    f["columns"] = header("income", "eco_comp") + "、" + "、".join(header("household", k) for k in present)
    f["values"] = num(hit["eco_comp"]) + "；" + land_txt
    return Parts({"": f}, evaluated=len(s_ok), not_evaluated=int((~judged).sum()))


@rule("R42")
def r42(ctx: RuleContext, p: dict):
    m = ctx.hh_members
    if "work_status" not in m and "work_months" not in m:
        raise NotRun("贫困人口信息 缺少列：务工状况、务工时间（月）")
    inc = ctx.incomes
    s = inc[inc["audit"].to_numpy()]
    wage = s["wage"].astype(float)
    worker = works(m) | post_holder(m)
    any_worker = ctx.hh_any(worker, s["hh_id"])
    months = m["work_months"].astype(float) if "work_months" in m else pd.Series(np.nan, index=m.index)
    pm = m["pwj_months"].astype(float) if "pwj_months" in m else pd.Series(np.nan, index=m.index)
    any_months = ctx.hh_any(mask((months >= 1) | (pm >= 1)), s["hh_id"])
    a = mask((wage > 0) & ~any_worker)
    b = mask(any_months & (wage.isna() | (wage == 0)))
    ha, hb = s[a.to_numpy()], s[b.to_numpy()]
    return Parts(
        {
            "a": findings(
                ctx,
                ha,
                "income",
                ["wage"],
                "审核年度工资性收入" + num(ha["wage"]) + "元，但无正常成员务工或担任公益性岗位",
            ),
            "b": findings(
                ctx,
                hb,
                "income",
                ["wage"],
                "有正常成员务工时间或公益性岗位月数不少于1个月，但审核年度工资性收入为空或0",
            ),
        },
        evaluated=len(s),
    )


@rule("R43")
def r43(ctx: RuleContext, p: dict):
    m = ctx.hh_members
    if "pwj_post" not in m and "pwj_months" not in m:
        raise NotRun("贫困人口信息 缺少列：公益性岗位、公益性岗位（月数）")
    inc = ctx.incomes
    s = inc[inc["audit"].to_numpy()]
    v = s["wage_pwj"].astype(float)
    any_post = ctx.hh_any(post_holder(m), s["hh_id"])
    a = mask((v > 0) & ~any_post)
    ha = s[a.to_numpy()]
    parts = {
        "a": findings(
            ctx,
            ha,
            "income",
            ["wage_pwj"],
            "审核年度公益性岗位收入" + num(ha["wage_pwj"]) + "元，但无正常成员担任公益性岗位",
        )
    }
    if "pwj_months" in m:
        any_m = ctx.hh_any(mask(m["pwj_months"].astype(float) >= 1), s["hh_id"])
        b = mask(any_m & (v.isna() | (v == 0)))
        hb = s[b.to_numpy()]
        parts["b"] = findings(
            ctx, hb, "income", ["wage_pwj"], "有正常成员公益性岗位（月数）不少于1个月，但审核年度公益性岗位收入为空或0"
        )
    else:
        parts["b"] = None
    return Parts(parts, evaluated=len(s))


@rule("R44")
def r44(ctx: RuleContext, p: dict):
    inc = ctx.incomes
    d = inc[inc["P"].notna().to_numpy()][["hh_id", "year", "P"]]
    prev = d.assign(year=d["year"] + 1).rename(columns={"P": "P_prev"})
    j = inc.reset_index().merge(prev, on=["hh_id", "year"], how="inner").set_index("index")
    j = j[(j["P"].notna() & (j["P_prev"] > 0)).to_numpy()]
    r = j["P"] / j["P_prev"]
    hi, lo = float(p["yoy_ratio_max"]), float(p["yoy_ratio_min"])
    bad = mask((r > hi * (1 + EPS)) | (r < lo * (1 - EPS)))
    hit = j[bad.to_numpy()]
    rr = r[bad.to_numpy()]
    msg = (
        (hit["year"] - 1).astype(str)
        + "年人均可支配收入（重算）"
        + num(hit["P_prev"].round(2))
        + "元，"
        + hit["year"].astype(str)
        + "年为"
        + num(hit["P"].round(2))
        + "元，为上年的"
        + num(rr.round(2))
        + "倍（正常范围"
        + f"{lo:g}–{hi:g}倍）"
    )
    vals = {"disposable_pc_recorded": num(hit["P_prev"].round(2)) + "→" + num(hit["P"].round(2)) + "（重算）"}
    return Parts({"": findings(ctx, hit, "income", ["disposable_pc_recorded"], msg, values=vals)}, evaluated=len(j))
