"""人员属性 (person attributes): R19–R31. Member rules look at active members (人员状态 = 正常).

Ages: ``age`` on reference_date; ``school_age`` on 31 August of audit_year; unknown birth -> NA, and a condition on
an unknown age is false (the person is counted "not evaluated" by rules that are wholly age-based).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .build import findings
from .context import RuleContext, norm_id
from .engine import Parts, header, mask, num, q, rule, shown

FULL = ["普通劳动力", "技能劳动力"]
NONE = ["丧失劳动力", "无劳动力"]
WORK = ["乡（镇）内务工", "乡（镇）外县内务工", "县外省内务工", "省外务工"]


def _col(m: pd.DataFrame, key: str) -> pd.Series:
    return m[key].astype(object) if key in m else pd.Series(None, index=m.index, dtype=object)


def _num(m: pd.DataFrame, key: str) -> pd.Series:
    return m[key].astype(float) if key in m else pd.Series(np.nan, index=m.index)


def _age_txt(age: pd.Series, kind: str = "年龄") -> pd.Series:
    return kind + num(age) + "岁"


def _join_msgs(*pairs) -> pd.Series:
    """Join (mask, text Series) pairs row-wise with ；."""
    idx = pairs[0][0].index
    out = pd.Series("", index=idx, dtype=object)
    for msk, txt in pairs:
        on = msk.to_numpy(dtype=bool)
        if on.any():
            t = txt[on] if isinstance(txt, pd.Series) else txt
            out[on] = out[on] + np.where(out[on] == "", "", "；") + t
    return out


@rule("R19")
def r19(ctx: RuleContext, p: dict):
    m = ctx.active_members
    parts = {}
    keys = [k for k in ["name", "sex", "relation", "health", "labour_skill"]]
    blanks = {}
    for k in keys:
        if k in m:
            b = m[k].isna().to_numpy(dtype=bool, na_value=True)
            raw = k + "__raw"
            if k == "health" and raw in m:  # a multi value with an unrecognised part
                b = b | m[raw].notna().to_numpy(dtype=bool, na_value=False)
            blanks[k] = pd.Series(b, index=m.index)
        else:
            blanks[k] = pd.Series(True, index=m.index)
    any_a = pd.concat(blanks, axis=1).any(axis=1)
    ha = m[any_a.to_numpy()]
    names = pd.Series("", index=ha.index, dtype=object)
    vals = pd.Series("", index=ha.index, dtype=object)
    for k in keys:
        on = blanks[k][any_a.to_numpy()].to_numpy()
        if on.any():
            names[on] = names[on] + np.where(names[on] == "", "", "、") + header("member", k)
            vals[on] = vals[on] + np.where(vals[on] == "", "", "；") + header("member", k) + "=" + shown(ha[on], k)
    fa = findings(ctx, ha, "member", [], "关键信息缺失或无法识别：" + names)
    fa["columns"], fa["values"] = names, vals
    parts["a"] = fa
    sa = m["school_age"]
    if "school_status" in m:
        b = mask(m["school_status"].isna() & (sa >= p["school_status_age_min"]) & (sa <= p["school_status_age_max"]))
        hb = m[b.to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "member",
            ["school_status"],
            "在校生状况为空或无法识别，而入学口径年龄为"
            + num(hb["school_age"])
            + "岁（"
            + str(p["school_status_age_min"])
            + "–"
            + str(p["school_status_age_max"])
            + "岁应填写）",
            values={"school_status": shown(hb, "school_status") + "（入学口径年龄" + num(hb["school_age"]) + "岁）"},
        )
    else:
        parts["b"] = None
    if "school_status" in m and "education" in m:
        c = mask(
            m["education"].isna()
            & (m["school_status"].astype(object) == "非在校生")
            & (sa >= p["education_required_age_min"])
        )
        hc = m[c.to_numpy()]
        parts["c"] = findings(
            ctx,
            hc,
            "member",
            ["education", "school_status"],
            "文化程度为空或无法识别，非在校生，入学口径年龄" + num(hc["school_age"]) + "岁",
        )
    else:
        parts["c"] = None
    if "health" in m:
        d = ctx.health_has("健康", m) & (m["health"].astype(object) != "健康").fillna(False)
        hd = m[d.to_numpy()]
        parts["d"] = findings(
            ctx,
            hd,
            "member",
            ["health"],
            "健康状况同时填写了健康和"
            + hd["health"].astype(str).str.replace("健康,", "", regex=False).str.replace(",", "、", regex=False),
        )
    else:
        parts["d"] = None
    return Parts(parts, evaluated=len(m))


def _r20_bands(p: dict) -> dict[str, tuple]:
    bands = {
        "学前教育": (p["age_preschool_min"], p["age_preschool_max"]),
        "小学": (p["age_primary_min"], p["age_primary_max"]),
    }
    for s in ["七年级", "八年级", "九年级"]:
        bands[s] = (p["age_junior_min"], p["age_junior_max"])
    for s in ["高中一年级", "高中二年级", "高中三年级", "中职一年级", "中职二年级", "中职三年级"]:
        bands[s] = (p["age_senior_min"], p["age_senior_max"])
    for s in ["高职一年级", "高职二年级", "高职三年级", "大专", "本科及以上"]:
        bands[s] = (p["age_tertiary_min"], None)
    return bands


@rule("R20")
def r20(ctx: RuleContext, p: dict):
    s = ctx.active_members
    known = s["school_age"].notna().to_numpy(dtype=bool)
    bands = _r20_bands(p)
    st = s["school_status"].astype(object)
    lo = st.map({k: v[0] for k, v in bands.items()}).astype(float)
    hi = st.map({k: (v[1] if v[1] is not None else np.inf) for k, v in bands.items()}).astype(float)
    age = s["school_age"].astype(float)
    bad = ((age < lo) | (age > hi)).fillna(False).astype(bool)
    hit = s[bad.to_numpy()]
    lo_h, hi_h = lo[bad.to_numpy()], hi[bad.to_numpy()]
    band = np.where(
        np.isinf(hi_h),
        "应不小于" + num(lo_h) + "岁",
        "应在" + num(lo_h) + "–" + num(hi_h.where(~np.isinf(hi_h), 0)) + "岁",
    )
    msg = (
        "在校生状况为"
        + q(hit["school_status"].astype(str))
        + "，入学口径年龄为"
        + num(hit["school_age"])
        + "岁（"
        + pd.Series(band, index=hit.index)
        + "）"
    )
    return Parts(
        {
            "": findings(
                ctx,
                hit,
                "member",
                ["school_status"],
                msg,
                values={
                    "school_status": hit["school_status"].astype(str)
                    + "（入学口径年龄"
                    + num(hit["school_age"])
                    + "岁）"
                },
            )
        },
        evaluated=int(known.sum()),
        not_evaluated=int((~known).sum()),
    )


@rule("R21")
def r21(ctx: RuleContext, p: dict):
    s = ctx.active_members
    known = s["school_age"].notna().to_numpy(dtype=bool)
    mins = {
        "初中": p["age_edu_junior_min"],
        "高中": p["age_edu_senior_min"],
        "大专": p["age_edu_college_min"],
        "本科及以上": p["age_edu_college_min"],
    }
    lo = s["education"].astype(object).map(mins).astype(float)
    bad = (s["school_age"].astype(float) < lo).fillna(False).astype(bool)
    hit = s[bad.to_numpy()]
    msg = (
        "文化程度为"
        + q(hit["education"].astype(str))
        + "，入学口径年龄仅"
        + num(hit["school_age"])
        + "岁（应不小于"
        + num(lo[bad.to_numpy()])
        + "岁）"
    )
    return Parts(
        {
            "": findings(
                ctx,
                hit,
                "member",
                ["education"],
                msg,
                values={"education": hit["education"].astype(str) + "（入学口径年龄" + num(hit["school_age"]) + "岁）"},
            )
        },
        evaluated=int(known.sum()),
        not_evaluated=int((~known).sum()),
    )


@rule("R22")
def r22(ctx: RuleContext, p: dict):
    m = ctx.active_members
    reason = m["out_of_school_reason"].astype(object)
    s = m[reason.notna().to_numpy()]
    r = s["out_of_school_reason"].astype(str)
    parts = {}
    if "school_status" in s:
        ha = s[s["in_school"].to_numpy(dtype=bool)]
        parts["a"] = findings(
            ctx,
            ha,
            "member",
            ["out_of_school_reason", "school_status"],
            "填写了义务教育阶段未上学原因"
            + q(shown(ha, "out_of_school_reason"))
            + "，但在校生状况为"
            + q(ha["school_status"].astype(str)),
        )
    else:
        parts["a"] = None
    sa = s["school_age"]
    b = mask((sa < p["compulsory_age_min"]) | (sa > p["compulsory_age_max"]))
    hb = s[b.to_numpy()]
    parts["b"] = findings(
        ctx,
        hb,
        "member",
        ["out_of_school_reason"],
        "填写了义务教育阶段未上学原因，但入学口径年龄为"
        + num(hb["school_age"])
        + "岁，不在"
        + str(p["compulsory_age_min"])
        + "–"
        + str(p["compulsory_age_max"])
        + "岁义务教育年龄段",
        values={
            "out_of_school_reason": shown(hb, "out_of_school_reason")
            + "（入学口径年龄"
            + num(hb["school_age"])
            + "岁）"
        },
    )
    if "health" in s:
        hn = s["health"].notna()
        sick = ctx.health_has("长期慢性病", s) | ctx.health_has("患有大病", s)
        c = mask(r.str.contains("病", regex=False) & hn & ~sick)
        hc = s[c.to_numpy()]
        parts["c"] = findings(
            ctx,
            hc,
            "member",
            ["out_of_school_reason", "health"],
            "未上学原因含“病”，但健康状况为"
            + q(hc["health"].astype(str).str.replace(",", "、"))
            + "，无长期慢性病或患有大病",
        )
        d = mask(r.str.contains("残", regex=False) & hn & ~ctx.health_has("残疾", s))
        hd = s[d.to_numpy()]
        parts["d"] = findings(
            ctx,
            hd,
            "member",
            ["out_of_school_reason", "health"],
            "未上学原因含“残”，但健康状况为" + q(hd["health"].astype(str).str.replace(",", "、")) + "，无残疾",
        )
    else:
        parts["c"] = parts["d"] = None
    return Parts(parts, evaluated=len(s))


@rule("R23")
def r23(ctx: RuleContext, p: dict):
    s = ctx.active_members
    known = s["age"].notna().to_numpy(dtype=bool)
    skill = s["labour_skill"].astype(object)
    a = mask((s["age"] < p["working_age_min"]) & skill.notna() & (skill != "无劳动力"))
    b = mask((s["age"] >= p["labour_old_age"]) & skill.isin(FULL))
    ha, hb = s[a.to_numpy()], s[b.to_numpy()]
    va = {"labour_skill": ha["labour_skill"].astype(str) + "（年龄" + num(ha["age"]) + "岁）"}
    vb = {"labour_skill": hb["labour_skill"].astype(str) + "（年龄" + num(hb["age"]) + "岁）"}
    return Parts(
        {
            "a": findings(
                ctx,
                ha,
                "member",
                ["labour_skill"],
                _age_txt(ha["age"])
                + "，未满"
                + str(p["working_age_min"])
                + "岁，劳动技能应为无劳动力，实为"
                + q(ha["labour_skill"].astype(str)),
                values=va,
            ),
            "b": findings(
                ctx,
                hb,
                "member",
                ["labour_skill"],
                _age_txt(hb["age"])
                + "，已满"
                + str(p["labour_old_age"])
                + "岁，劳动技能却为"
                + q(hb["labour_skill"].astype(str)),
                values=vb,
            ),
        },
        evaluated=int(known.sum()),
        not_evaluated=int((~known).sum()),
    )


@rule("R24")
def r24(ctx: RuleContext, p: dict):
    m = ctx.active_members
    st = m[m["in_school"].to_numpy(dtype=bool)]
    known = st["age"].notna().to_numpy(dtype=bool)
    s = st[known]
    skill = s["labour_skill"].astype(object)
    bad = mask((s["age"] >= p["working_age_min"]) & skill.notna() & (skill != "无劳动力"))
    hit = s[bad.to_numpy()]
    msg = (
        "在校生（"
        + hit["school_status"].astype(str)
        + "），"
        + _age_txt(hit["age"])
        + "，劳动技能为"
        + q(hit["labour_skill"].astype(str))
        + "（在校生应为无劳动力）"
    )
    return Parts(
        {"": findings(ctx, hit, "member", ["school_status", "labour_skill"], msg)},
        evaluated=len(s),
        not_evaluated=int((~known).sum()),
    )


def severe_grade(m: pd.DataFrame, grades) -> pd.Series:
    """残疾证号 passes R07(a) and its character 20 (grade) is in ``grades``."""
    dn = norm_id(_col(m, "disability_no"))
    ok = dn.str.fullmatch(D.RE_DISABILITY).fillna(False).astype(bool)
    g = {str(x) for x in grades}
    return (ok & dn.str[19].isin(g).fillna(False)).astype(bool)


@rule("R25")
def r25(ctx: RuleContext, p: dict):
    m = ctx.active_members
    skill = m["labour_skill"].astype(object)
    parts = {}
    if "health" in m:
        a = mask(
            (m["age"] >= p["working_age_min"])
            & (m["age"] <= p["working_age_max"])
            & ctx.health_only("健康", m)
            & ~m["in_school"].astype(bool)
            & skill.isin(["弱劳动力或半劳动力", "丧失劳动力", "无劳动力"])
        )
        ha = m[a.to_numpy()]
        parts["a"] = findings(
            ctx,
            ha,
            "member",
            ["labour_skill", "health"],
            _age_txt(ha["age"]) + "，健康状况仅为健康，非在校生，劳动技能却为" + q(ha["labour_skill"].astype(str)),
        )
    else:
        parts["a"] = None
    if "disability_no" in m:
        sev = severe_grade(m, p["severe_disability_grades"])
        b = mask(sev & skill.isin(FULL))
        hb = m[b.to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "member",
            ["labour_skill", "disability_no"],
            "残疾证号显示残疾等级为"
            + D.normalise_id(hb["disability_no"]).str[19].astype(str)
            + "级（重度），劳动技能却为"
            + q(hb["labour_skill"].astype(str)),
        )
    else:
        parts["b"] = None
    return Parts(parts, evaluated=len(m))


@rule("R26")
def r26(ctx: RuleContext, p: dict):
    m = ctx.active_members
    dn = m["disability_no"].astype(object)
    dis = ctx.health_has("残疾", m)
    a = mask(dis & dn.isna())
    b = mask(dn.notna() & m["health"].notna() & ~dis)
    ha, hb = m[a.to_numpy()], m[b.to_numpy()]
    return Parts(
        {
            "a": findings(ctx, ha, "member", ["health", "disability_no"], "健康状况含残疾，但残疾证号为空"),
            "b": findings(
                ctx,
                hb,
                "member",
                ["health", "disability_no"],
                "填写了残疾证号，但健康状况为" + q(hb["health"].astype(str).str.replace(",", "、")) + "，不含残疾",
            ),
        },
        evaluated=len(m),
    )


@rule("R27")
def r27(ctx: RuleContext, p: dict):
    m = ctx.active_members
    months = _num(m, "work_months")
    mx = p["work_months_max"]
    a = mask((months < 0) | (months > mx))
    ha = m[a.to_numpy()]
    parts = {
        "a": findings(
            ctx,
            ha,
            "member",
            ["work_months"],
            "务工时间（月）为" + num(ha["work_months"]) + "，应在0–" + str(mx) + "之间",
        )
    }
    if "work_status" in m:
        ws = m["work_status"].astype(object)
        b = mask(ws.isin(WORK) & (months.isna() | (months == 0)))
        c = mask((ws.isna() | (ws == "未务工")) & (months >= 1))
        hb, hc = m[b.to_numpy()], m[c.to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "member",
            ["work_status", "work_months"],
            "务工状况为" + q(hb["work_status"].astype(str)) + "，但务工时间（月）为空或0",
        )
        parts["c"] = findings(
            ctx,
            hc,
            "member",
            ["work_status", "work_months"],
            "务工状况为" + q(shown(hc, "work_status")) + "，但务工时间（月）为" + num(hc["work_months"]),
        )
    else:
        parts["b"] = parts["c"] = None
    return Parts(parts, evaluated=len(m))


def works(m: pd.DataFrame) -> pd.Series:
    """务工状况 ∈ WORK, or 务工时间（月） ≥ 1."""
    return mask(_col(m, "work_status").isin(WORK) | (_num(m, "work_months") >= 1))


def post_holder(m: pd.DataFrame) -> pd.Series:
    """公益性岗位 non-blank, or 公益性岗位（月数） ≥ 1."""
    return mask(_col(m, "pwj_post").notna() | (_num(m, "pwj_months") >= 1))


@rule("R28")
def r28(ctx: RuleContext, p: dict):
    m = ctx.active_members
    if "work_status" not in m and "work_months" not in m:
        from .engine import NotRun

        raise NotRun("贫困人口信息 缺少列：务工状况、务工时间（月）")
    w = m[works(m).to_numpy()]
    keys = [k for k in ("work_status", "work_months") if k in m]
    parts = {}
    if "labour_skill" in w:
        ha = w[w["labour_skill"].isin(NONE).to_numpy(dtype=bool)]
        parts["a"] = findings(
            ctx,
            ha,
            "member",
            keys + ["labour_skill"],
            "劳动技能为" + q(ha["labour_skill"].astype(str)) + "，却有务工记录",
        )
    else:
        parts["a"] = None
    b = mask(w["age"] < p["working_age_min"])
    hb = w[b.to_numpy()]
    parts["b"] = findings(
        ctx,
        hb,
        "member",
        keys,
        _age_txt(hb["age"]) + "，未满" + str(p["working_age_min"]) + "岁，却有务工记录",
        values=None,
    )
    if "school_status" in w:
        hc = w[w["in_school"].to_numpy(dtype=bool)]
        parts["c"] = findings(
            ctx, hc, "member", keys + ["school_status"], "在校生（" + hc["school_status"].astype(str) + "）却有务工记录"
        )
    else:
        parts["c"] = None
    return Parts(parts, evaluated=len(m))


@rule("R29")
def r29(ctx: RuleContext, p: dict):
    m = ctx.active_members
    if "pwj_post" not in m and "pwj_months" not in m:
        from .engine import NotRun

        raise NotRun("贫困人口信息 缺少列：公益性岗位、公益性岗位（月数）")
    keys = [k for k in ("pwj_post", "pwj_months") if k in m]
    holder = post_holder(m)
    months = _num(m, "pwj_months")
    parts = {}
    a = mask(holder & ((m["age"] < p["pwj_age_min"]) | (m["age"] > p["pwj_age_max"])))
    ha = m[a.to_numpy()]
    parts["a"] = findings(
        ctx,
        ha,
        "member",
        keys,
        "公益性岗位人员"
        + _age_txt(ha["age"])
        + "，不在"
        + str(p["pwj_age_min"])
        + "–"
        + str(p["pwj_age_max"])
        + "岁之间",
    )
    if "school_status" in m:
        hb = m[(holder & m["in_school"].astype(bool)).to_numpy()]
        parts["b"] = findings(
            ctx,
            hb,
            "member",
            keys + ["school_status"],
            "在校生（" + hb["school_status"].astype(str) + "）担任公益性岗位",
        )
    else:
        parts["b"] = None
    if "pwj_post" in m and "pwj_months" in m:
        post = m["pwj_post"].astype(object)
        c = mask(post.notna() & (months.isna() | (months == 0)))
        d = mask((months >= 1) & post.isna())
        hc, hd = m[c.to_numpy()], m[d.to_numpy()]
        parts["c"] = findings(
            ctx, hc, "member", keys, "公益性岗位为" + q(shown(hc, "pwj_post")) + "，但公益性岗位（月数）为空或0"
        )
        parts["d"] = findings(
            ctx, hd, "member", keys, "公益性岗位（月数）为" + num(hd["pwj_months"]) + "，但公益性岗位为空"
        )
    else:
        parts["c"] = parts["d"] = None
    if "pwj_months" in m:
        e = mask((months < 0) | (months > p["work_months_max"]))
        he = m[e.to_numpy()]
        parts["e"] = findings(
            ctx,
            he,
            "member",
            ["pwj_months"],
            "公益性岗位（月数）为" + num(he["pwj_months"]) + "，应在0–" + str(p["work_months_max"]) + "之间",
        )
    else:
        parts["e"] = None
    return Parts(parts, evaluated=len(m))


@rule("R30")
def r30(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    s = h[(h["labour_type"].notna() & (h["A"] >= 1)).to_numpy()]
    cap = list(p["labour_capable_values"])
    m = ctx.hh_members
    skill = m["labour_skill"].astype(object)
    any_cap = ctx.hh_any(skill.isin(cap), s["hh_id"])
    any_blank = ctx.hh_any(skill.isna(), s["hh_id"])
    derived = pd.Series(
        np.where(any_cap, "有劳动能力", np.where(~any_blank, "无劳动能力", None)), index=s.index, dtype=object
    )
    judged = derived.notna()
    bad = mask(judged & (s["labour_type"].astype(object) != derived))
    hit = s[bad.to_numpy()]
    dv = derived[bad.to_numpy()]
    why = np.where(dv == "有劳动能力", "有成员劳动技能属于有劳动能力类别", "全部正常成员劳动技能均不属于有劳动能力类别")
    msg = (
        "劳动能力类型为"
        + q(hit["labour_type"].astype(str))
        + "，但"
        + pd.Series(why, index=hit.index)
        + "，应为"
        + q(dv.astype(str))
    )
    return Parts(
        {"": findings(ctx, hit, "household", ["labour_type"], msg)},
        evaluated=int(judged.sum()),
        not_evaluated=int((~judged).sum()) + len(ctx.households) - len(h),
    )


@rule("R31")
def r31(ctx: RuleContext, p: dict):
    h = ctx.hh_unique
    s = h[(h["A"] >= 1).to_numpy()]
    cause = s["main_cause"].astype(object)
    m = ctx.hh_members
    parts = {}
    if "health" in m:
        sick = ctx.hh_any(ctx.health_has("长期慢性病", m) | ctx.health_has("患有大病", m), s["hh_id"])
        dis = ctx.hh_any(ctx.health_has("残疾", m), s["hh_id"])
        ha = s[mask((cause == "因病") & ~sick).to_numpy()]
        hb = s[mask((cause == "因残") & ~dis).to_numpy()]
        parts["a"] = findings(
            ctx, ha, "household", ["main_cause"], "主要致贫原因为因病，但无正常成员患长期慢性病或大病"
        )
        parts["b"] = findings(ctx, hb, "household", ["main_cause"], "主要致贫原因为因残，但无正常成员健康状况含残疾")
    else:
        parts["a"] = parts["b"] = None
    if "school_status" in m:
        stu = ctx.hh_any(m["in_school"].astype(bool), s["hh_id"])
        hc = s[mask((cause == "因学") & ~stu).to_numpy()]
        parts["c"] = findings(ctx, hc, "household", ["main_cause"], "主要致贫原因为因学，但无正常成员为在校生")
    else:
        parts["c"] = None
    if "other_causes" in s:
        oc = s["other_causes"].astype(object)
        inside = _contains(oc, cause)
        hd = s[inside.to_numpy()]
        parts["d"] = findings(
            ctx,
            hd,
            "household",
            ["main_cause", "other_causes"],
            "其他致贫原因"
            + q(hd["other_causes"].astype(str).str.replace(",", "、"))
            + "中重复填写了主要致贫原因"
            + q(hd["main_cause"].astype(str)),
        )
    else:
        parts["d"] = None
    return Parts(parts, evaluated=len(s), not_evaluated=len(ctx.households) - len(h))


def _contains(multi: pd.Series, value: pd.Series) -> pd.Series:
    """Row-wise: is ``value`` among the comma-joined canonical labels of ``multi`` (one pass per distinct value)."""
    out = pd.Series(False, index=multi.index)
    wrapped = ("," + multi.astype(object).fillna("") + ",").astype(str)
    for v in pd.unique(value.dropna()):
        on = (value == v).fillna(False).to_numpy(dtype=bool)
        out[on] = wrapped[on].str.contains("," + str(v) + ",", regex=False).to_numpy()
    return out.astype(bool)
