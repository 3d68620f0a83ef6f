"""家庭结构 (household structure): R10–R18.

Household rules (R12–R18) judge only households whose 户编号 is unique (R10's duplicates are counted "not
evaluated"); member aggregates use active members of known households (R11's rows are left out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .build import findings
from .context import RuleContext, fast_ids, norm_id
from .engine import Parts, mask, num, q, rule, shown

MALE_RELATIONS = ["之子", "之女婿", "之孙子", "之外孙子", "之父", "之岳父", "之公公", "之祖父"]
FEMALE_RELATIONS = ["之女", "之儿媳", "之孙女", "之外孙女", "之母", "之岳母", "之婆婆", "之祖母"]


def _heads(ctx: RuleContext) -> pd.DataFrame:
    """Per 户编号 (of known households): n_heads, n_spouses among active members."""
    m = ctx.hh_members
    rel = m["relation"].astype(object)
    g = pd.DataFrame(
        {
            "hh_id": m["hh_id"],
            "head": (rel == "户主").fillna(False).astype(int),
            "spouse": (rel == "配偶").fillna(False).astype(int),
        }
    )
    return g.groupby("hh_id", sort=False)[["head", "spouse"]].sum()


def _single_head(ctx: RuleContext) -> pd.DataFrame:
    """The active 户主 member row of each household with exactly one active 户主 (index: 户编号)."""
    cache = ctx.__dict__.setdefault("_rule_cache", {})
    if "single_head" not in cache:
        m = ctx.hh_members
        cols = [c for c in ("hh_id", "person_id", "name", "sex", "id_no", "id_ok", "id_std", "id18", "_row") if c in m]
        heads = m.loc[(m["relation"].astype(object) == "户主").fillna(False).to_numpy(dtype=bool), cols]
        one = heads[~heads["hh_id"].duplicated(keep=False).to_numpy()]
        cache["single_head"] = one.set_index("hh_id", drop=False)
    return cache["single_head"]


@rule("R10")
def r10(ctx: RuleContext, p: dict):
    h = ctx.table("household")
    ids = h["hh_id"]
    dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy(dtype=bool)
    hit = h[dup]
    n = hit["hh_id"].map(hit["hh_id"].value_counts())
    rows = (
        hit.sort_values("_row")["_row"].astype(str).groupby(hit["hh_id"]).agg("、".join)
        if "_row" in hit
        else pd.Series(dtype=object)
    )
    msg = "户编号" + q(hit["hh_id"]) + "在贫困户信息中出现" + n.astype(str) + "次"
    if len(rows):
        msg = msg + "（第" + hit["hh_id"].map(rows).astype(str) + "行）"
    return Parts({"": findings(ctx, hit, "household", ["hh_id"], msg)}, evaluated=int(ids.notna().sum()))


@rule("R11")
def r11(ctx: RuleContext, p: dict):
    m = ctx.members
    hit = m[~m["hh_known"].to_numpy()]
    msg = "户编号" + q(shown(hit, "hh_id")) + "在贫困户信息中不存在"
    return Parts({"": findings(ctx, hit, "member", ["hh_id"], msg)}, evaluated=len(m))


@rule("R12")
def r12(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    hit = h[(h["A"] == 0).to_numpy()]
    m = ctx.members
    mm = m[m["hh_id"].isin(hit["hh_id"]).to_numpy()]
    st = mm["member_status"].astype(object).fillna("空白")
    ct = pd.crosstab(mm["hh_id"], st) if len(mm) else pd.DataFrame()
    total = ct.sum(axis=1) if len(ct) else pd.Series(dtype=int)
    nat = ct["自然减少"] if "自然减少" in ct else pd.Series(0, index=ct.index)
    qt = ct["清退"] if "清退" in ct else pd.Series(0, index=ct.index)
    desc = pd.Series("成员状态混合", index=ct.index, dtype=object)
    desc[(nat == total).to_numpy()] = "成员均为自然减少"
    desc[(qt == total).to_numpy()] = "成员均为清退"
    detail = (
        "（共"
        + total.astype(str)
        + "人：自然减少"
        + nat.astype(str)
        + "人、清退"
        + qt.astype(str)
        + "人、其他"
        + (total - nat - qt).astype(str)
        + "人）"
    )
    txt = hit["hh_id"].map(desc + detail).fillna("无任何成员记录")
    msg = "该户无人员状态为正常的成员，" + txt.astype(str)
    return Parts(
        {"": findings(ctx, hit, "household", ["hh_id"], msg)},
        evaluated=len(h),
        not_evaluated=len(ctx.households) - len(h),
    )


@rule("R13")
def r13(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    s = h[(h["A"] >= 1).to_numpy()]
    cnt = _heads(ctx).reindex(s["hh_id"]).fillna(0).astype(int)
    heads = pd.Series(cnt["head"].to_numpy(), index=s.index)
    spouses = pd.Series(cnt["spouse"].to_numpy(), index=s.index)
    bad = ((heads != 1) | (spouses > 1)).to_numpy()
    hit = s[bad]
    hh, sp = heads[bad], spouses[bad]
    part1 = pd.Series("", index=hit.index, dtype=object)
    part1[(hh == 0).to_numpy()] = "无户主（正常成员中无与户主关系为户主者）"
    part1[(hh >= 2).to_numpy()] = "多个户主（正常成员中有" + hh[(hh >= 2)].astype(str) + "人为户主）"
    part2 = pd.Series("", index=hit.index, dtype=object)
    part2[(sp > 1).to_numpy()] = "正常成员中有" + sp[sp > 1].astype(str) + "人为配偶"
    msg = (part1 + np.where((part1 != "") & (part2 != ""), "；", "") + part2).astype(object)
    vals = {"relation": "户主" + hh.astype(str) + "人、配偶" + sp.astype(str) + "人"}
    return Parts(
        {"": findings(ctx, hit, "household", ["relation"], msg, values=vals)},
        evaluated=len(s),
        not_evaluated=int((ctx.households["A"] >= 1).sum()) - len(s),
    )


@rule("R14")
def r14(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    head = _single_head(ctx)
    s = h[h["hh_id"].isin(head.index).to_numpy()]
    m = ctx.hh_members
    sp = m[((m["relation"].astype(object) == "配偶").fillna(False) & m["hh_id"].isin(s["hh_id"])).to_numpy()]
    head_sex = sp["hh_id"].map(head["sex"].astype(object))
    same = mask((sp["sex"].astype(object) == head_sex) & sp["sex"].notna() & head_sex.notna())
    hit_sp = sp[same.to_numpy()]
    first = hit_sp.drop_duplicates("hh_id")
    persons = hit_sp["person_id"].astype(object).fillna("（空）").astype(str).groupby(hit_sp["hh_id"]).agg("、".join)
    hit = s[s["hh_id"].isin(first["hh_id"]).to_numpy()]
    sex = hit["hh_id"].map(head["sex"].astype(object)).astype(str)
    msg = "户主性别为" + q(sex) + "，配偶（人编号" + hit["hh_id"].map(persons).astype(str) + "）性别也为" + q(sex)
    vals = {"sex": "户主" + sex + "；配偶" + sex}
    return Parts({"": findings(ctx, hit, "household", ["sex"], msg, values=vals)}, evaluated=len(s))


@rule("R15")
def r15(ctx: RuleContext, p: dict):
    m = ctx.active_members
    rel, sex = m["relation"].astype(object), m["sex"].astype(object)
    a = mask((rel.isin(MALE_RELATIONS) & (sex == "女")) | (rel.isin(FEMALE_RELATIONS) & (sex == "男")))
    ha = m[a.to_numpy()]
    expect = np.where(ha["relation"].isin(MALE_RELATIONS), "男", "女")
    fa = findings(
        ctx,
        ha,
        "member",
        ["relation", "sex"],
        "与户主关系为"
        + q(ha["relation"].astype(str))
        + "，但性别为"
        + q(ha["sex"].astype(str))
        + "（应为"
        + pd.Series(expect, index=ha.index)
        + "）",
    )
    head = _single_head(ctx)
    hs = m["hh_id"].map(head["sex"].astype(object)).where(m["hh_known"])
    b = mask((rel.isin(["之公公", "之婆婆"]) & (hs == "男")) | (rel.isin(["之岳父", "之岳母"]) & (hs == "女")))
    hb = m[b.to_numpy()]
    fb = findings(
        ctx,
        hb,
        "member",
        ["relation"],
        "与户主关系为"
        + q(hb["relation"].astype(str))
        + "，但户主性别为"
        + q(hs[b.to_numpy()].astype(str))
        + np.where(hb["relation"].isin(["之公公", "之婆婆"]), "（公婆应对应女户主）", "（岳父母应对应男户主）"),
        values={"relation": hb["relation"].astype(str) + "（户主性别" + hs[b.to_numpy()].astype(str) + "）"},
    )
    return Parts({"a": fa, "b": fb}, evaluated=len(m))


@rule("R16")
def r16(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    s = h[((h["A"] >= 1) & h["hh_size"].notna()).to_numpy()]
    bad = (s["hh_size"].astype("Int64") != s["A"]).fillna(False).astype(bool)
    hit = s[bad.to_numpy()]
    msg = "家庭人口数为" + num(hit["hh_size"]) + "，但人员状态为正常的成员有" + hit["A"].astype(str) + "人"
    return Parts({"": findings(ctx, hit, "household", ["hh_size"], msg)}, evaluated=len(s))


@rule("R17")
def r17(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    head = _single_head(ctx)
    s = h[h["hh_id"].isin(head.index).to_numpy()]
    hd = head.reindex(s["hh_id"])
    hd.index = s.index
    parts = {}
    if "head_id" in s and "id_no" in hd:
        hids = fast_ids(s["head_id"], None, None, ctx.reference_date, int(ctx.params["age_max"]))
        hid = norm_id(s["head_id"])
        mid = norm_id(hd["id_no"])
        # both have an R01 form: the household value an ID form, the member's row passes R01 (not 其他)
        both = hids["id_ok"] & hd["id_std"].fillna(False).astype(bool)
        hid18 = hids["id18"]
        differs = np.where(both, hid18 != hd["id18"].astype(object), hid != mid)
        a = mask(pd.Series(differs, index=s.index).astype("boolean") & hid.notna() & mid.notna())
        ha = s[a.to_numpy()]
        parts["a"] = findings(
            ctx,
            ha,
            "household",
            ["head_id"],
            "户主证件号码为"
            + q(shown(ha, "head_id"))
            + "，户主成员（人编号"
            + hd.loc[a.to_numpy(), "person_id"].astype(str)
            + "）的证件号码为"
            + q(hd.loc[a.to_numpy(), "id_no"].astype(str)),
            values={"head_id": shown(ha, "head_id") + "（成员：" + hd.loc[a.to_numpy(), "id_no"].astype(str) + "）"},
        )
    else:
        parts["a"] = None
    if "head_name" in s and "name" in hd:

        def squeeze(x):
            return x.astype(object).str.replace(r"\s+", "", regex=True)

        hn, mn = squeeze(s["head_name"]), squeeze(hd["name"])
        b = mask((hn != mn) & hn.notna() & mn.notna() & (hn != "") & (mn != ""))
        hb = s[b.to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "household",
            ["head_name"],
            "户主姓名为"
            + q(shown(hb, "head_name"))
            + "，户主成员（人编号"
            + hd.loc[b.to_numpy(), "person_id"].astype(str)
            + "）的姓名为"
            + q(hd.loc[b.to_numpy(), "name"].astype(str)),
            values={"head_name": shown(hb, "head_name") + "（成员：" + hd.loc[b.to_numpy(), "name"].astype(str) + "）"},
        )
    else:
        parts["b"] = None
    return Parts(parts, evaluated=len(s))


R18_REQUIRED = [
    "township",
    "village",
    "head_name",
    "head_id",
    "hh_size",
    "hh_type",
    "main_cause",
    "first_year",
    "exit_status",
]
R18_OPTIONAL = [
    "id_standard",
    "labour_type",
    "unsafe_house",
    "house_area",
    "safe_water",
    "water_difficulty",
    "power_living",
    "road_type",
    "road_distance_km",
]


@rule("R18")
def r18(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    cols = [c for c in R18_REQUIRED + R18_OPTIONAL if c in h.columns]
    if not cols:
        return Parts({"": findings(ctx, h.iloc[:0], "household", [], "")}, evaluated=len(h))
    blank = pd.DataFrame({c: h[c].isna().to_numpy(dtype=bool, na_value=True) for c in cols}, index=h.index)
    # required columns absent from the export count as blank for every household
    for c in R18_REQUIRED:
        if c not in h.columns:
            blank[c] = True
    any_blank = blank.any(axis=1).to_numpy()
    hit = h[any_blank]
    b = blank[any_blank]
    from .engine import header

    names = pd.Series("", index=hit.index, dtype=object)
    values = pd.Series("", index=hit.index, dtype=object)
    for c in b.columns:
        on = b[c].to_numpy()
        if not on.any():
            continue
        sep = np.where(names[on] == "", "", "、")
        names[on] = names[on] + sep + header("household", c)
        vsep = np.where(values[on] == "", "", "；")
        values[on] = values[on] + vsep + header("household", c) + "=" + shown(hit[on], c)
    msg = "关键信息缺失或无法识别：" + names
    f = findings(ctx, hit, "household", [], msg)
    f["columns"] = names
    f["values"] = values
    return Parts({"": f}, evaluated=len(h), not_evaluated=len(ctx.households) - len(h))
