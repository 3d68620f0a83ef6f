"""Rules R88-R95: 部门数据比对 (cross-checks with the other departments' lists under 部门数据/).

Every list is optional: a rule whose list is absent raises NotRun. Matching is on ID18 both sides; member rows
failing R01 (``id18`` NA) are never matched, and rules that fire on the *absence* of a match count them as not
evaluated.
"""

from __future__ import annotations

import pandas as pd

from .. import derive as D
from .. import text as T
from .build import findings
from .context import RuleContext
from .engine import NotRun, Parts, rule
from .social import (
    as_mask,
    dept_table,
    has_health,
    header,
    household_scope,
    in_school,
    isin,
    join_by,
    lookup,
    list_ids,
    matched,
    no,
    params_list,
    recorded,
    txt,
    yes,
)

COMPULSORY_GRADES = ["小学", "七年级", "八年级", "九年级"]
#: 在校生状况 -> the 学段 values of 教育_学籍 that agree with it (R89(c)).
SCHOOL_STAGE = {
    "学前教育": ["学前"],
    "小学": ["小学"],
    "七年级": ["初中"],
    "八年级": ["初中"],
    "九年级": ["初中"],
    "高中一年级": ["高中"],
    "高中二年级": ["高中"],
    "高中三年级": ["高中"],
    "中职一年级": ["中职"],
    "中职二年级": ["中职"],
    "中职三年级": ["中职"],
    "高职一年级": ["高职"],
    "高职二年级": ["高职"],
    "高职三年级": ["高职"],
    "大专": ["高职", "大学"],
    "本科及以上": ["大学"],
}


@rule("R88")
def r88(ctx: RuleContext, p: dict) -> Parts:
    """学籍显示辍学 (no 在读/休学 row; compulsory school age or a 辍学 row at 小学/初中)."""
    ed = dept_table(ctx, "education")
    am = ctx.active_members
    drop = isin(ed, "enrol_status", ["辍学"])
    dropped = list_ids(ctx, ed, drop)
    enrolled = list_ids(ctx, ed, isin(ed, "enrol_status", ["在读", "休学"]))
    low_stage = list_ids(ctx, ed, drop & isin(ed, "stage", ["小学", "初中"]))
    sa = am["school_age"]
    band = as_mask((sa >= p["compulsory_age_min"]) & (sa <= p["compulsory_age_max"]))
    cand = matched(am, dropped) & ~matched(am, enrolled)
    sub = am[cand & (band | matched(am, low_stage))]
    stages = ed[drop & ed["_id18"].notna()].assign(_st=recorded(ed, "stage") if "stage" in ed else "空")
    stages = stages[stages["_id18"].isin(sub["id18"])]
    st = txt(lookup(sub["id18"], join_by(stages["_id18"], stages["_st"])))
    age_txt = sub["school_age"].astype("string").fillna("未知")
    df = findings(
        ctx,
        sub,
        "member",
        columns="在读状态、学段",
        values="辍学；" + st,
        message="教育学籍显示辍学（学段" + st + "），入学年龄" + age_txt + "岁，且无在读或休学记录",
    )
    return Parts({"": df}, evaluated=len(am))


@rule("R89")
def r89(ctx: RuleContext, p: dict) -> Parts:
    """在校状况与学籍不一致."""
    ed = dept_table(ctx, "education")
    am = ctx.active_members
    reading = isin(ed, "enrol_status", ["在读"])
    reading_ids = list_ids(ctx, ed, reading)
    enrolled = list_ids(ctx, ed, isin(ed, "enrol_status", ["在读", "休学"]))
    school = in_school(am)
    # (a)
    a = am[~school & matched(am, reading_ids)]
    fa = findings(
        ctx,
        a,
        "member",
        keys=["school_status"],
        message="在校生状况为“" + recorded(a, "school_status") + "”，但教育学籍显示在读",
    )
    # (b) absence of a match: rows without an ID18 cannot be judged
    comp = isin(am, "school_status", COMPULSORY_GRADES)
    b = am[comp & am["id18"].notna() & ~matched(am, enrolled)]
    fb = findings(
        ctx,
        b,
        "member",
        keys=["school_status"],
        message="在校生状况为" + recorded(b, "school_status") + "（义务教育），但教育学籍无在读或休学记录",
    )
    # (c)
    fc = None
    if "stage" in ed:
        rows = ed[reading & ed["stage"].notna() & ed["_id18"].notna()][["_id18", "stage"]]
        st = am[school & am["id18"].notna()][["id18", "school_status"]].rename_axis("_ix").reset_index()
        pairs = st.merge(rows, left_on="id18", right_on="_id18")
        allowed = pd.DataFrame(
            [(k, v) for k, vs in SCHOOL_STAGE.items() for v in vs], columns=["school_status", "stage"]
        ).assign(_ok=True)
        pairs = pairs.merge(allowed, on=["school_status", "stage"], how="left")
        bad = pairs[pairs["_ok"].isna()]
        bad_stage = join_by(bad["_ix"], bad["stage"])
        c = am.loc[bad_stage.index]
        fc = findings(
            ctx,
            c,
            "member",
            columns="在校生状况、学段",
            values=recorded(c, "school_status") + "；" + bad_stage,
            message="在校生状况为" + recorded(c, "school_status") + "，但教育学籍在读学段为" + bad_stage,
        )
    n_ne = int((comp & am["id18"].isna()).sum())
    return Parts({"a": fa, "b": fb, "c": fc}, evaluated=len(am), not_evaluated=n_ne)


@rule("R90")
def r90(ctx: RuleContext, p: dict) -> Parts:
    """医保无参保记录 for the audit year (现役军人 excepted)."""
    md = dept_table(ctx, "medical")
    am = ctx.active_members
    scope = am[~yes(am, "soldier")]
    known = scope["id18"].notna()
    insured = list_ids(ctx, md, as_mask(md["ins_year"].eq(ctx.audit_year)))
    sub = scope[known & ~matched(scope, insured)]
    df = findings(
        ctx, sub, "member", columns="参保年度", values="无记录", message=f"医保参保数据中无{ctx.audit_year}年参保记录"
    )
    return Parts({"": df}, evaluated=int(known.sum()), not_evaluated=int((~known).sum()))


@rule("R91")
def r91(ctx: RuleContext, p: dict) -> Parts:
    """参保标识与医保数据不一致 (members with an audit-year 医保 row)."""
    md = dept_table(ctx, "medical")
    mem = ctx.table("member")
    pairs = [(t, f) for t, f in (("城乡居民", "ins_resident"), ("城镇职工", "ins_employee")) if f in mem]
    if not pairs:
        raise NotRun("贫困人口信息 缺少列：是否参加城乡居民基本医疗保险、是否参加城镇职工基本医疗保险")
    am = ctx.active_members
    year_rows = as_mask(md["ins_year"].eq(ctx.audit_year))
    scope = am[matched(am, list_ids(ctx, md, year_rows))]
    out = []
    for t, flag in pairs:  # two pairs
        has_t = matched(scope, list_ids(ctx, md, year_rows & isin(md, "ins_type", [t])))
        flag_yes = yes(scope, flag)
        sub = scope[has_t != flag_yes]
        h_t = has_t[sub.index]
        msg = pd.Series(
            f"医保数据有{ctx.audit_year}年{t}参保记录，但{header('member', flag)}为“", index=sub.index, dtype=object
        ).where(h_t, f"医保数据无{ctx.audit_year}年{t}参保记录，但{header('member', flag)}为“")
        out.append(findings(ctx, sub, "member", keys=[flag], message=msg + recorded(sub, flag) + "”"))
    return Parts({"": pd.concat(out, ignore_index=True)}, evaluated=len(scope))


@rule("R92")
def r92(ctx: RuleContext, p: dict) -> Parts:
    """低保特困与民政数据不一致 (民政-active on reference_date)."""
    cv = dept_table(ctx, "civil")
    mem = ctx.table("member")
    pairs = [(t, f) for t, f in (("低保", "dibao"), ("特困", "tekun")) if f in mem]
    if not pairs:
        raise NotRun("贫困人口信息 缺少列：是否享受低保、是否特困供养人员")
    ref = ctx.reference_date
    start = cv["start_date"] if "start_date" in cv else pd.Series(pd.NaT, index=cv.index)
    end = cv["end_date"] if "end_date" in cv else pd.Series(pd.NaT, index=cv.index)
    live = (start.isna() | as_mask(start <= ref)) & (end.isna() | as_mask(end >= ref))
    am = ctx.active_members
    known = am["id18"].notna()
    scope = am[known]
    out = []
    for t, flag in pairs:  # two pairs
        act = matched(scope, list_ids(ctx, cv, live & isin(cv, "support_type", [t])))
        fy = yes(scope, flag)
        sub = scope[act != fy]
        word = "享受低保" if t == "低保" else "特困供养"
        msg = pd.Series(
            f"民政数据显示在{ref.strftime('%Y-%m-%d')}{word}，但{header('member', flag)}为“",
            index=sub.index,
            dtype=object,
        ).where(act[sub.index], f"民政数据在{ref.strftime('%Y-%m-%d')}无有效{t}记录，但{header('member', flag)}为“")
        out.append(findings(ctx, sub, "member", keys=[flag], message=msg + recorded(sub, flag) + "”"))
    return Parts({"": pd.concat(out, ignore_index=True)}, evaluated=int(known.sum()), not_evaluated=int((~known).sum()))


def housing_matches(ctx: RuleContext, p: dict) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(households in scope, matched (hh_id, housing row) pairs with ``_open``, duplicated households)."""
    hs = dept_table(ctx, "housing", "appraisal_level", "renovation_status", id_key="head_id")
    h, n_dup = household_scope(ctx, "head_id")
    levels = params_list(p, "unsafe_house_levels")
    cache = ctx.__dict__.setdefault("_housing_matches", {})  # R93 and R94 read the same pairs
    if tuple(levels) not in cache:
        cache[tuple(levels)] = _housing_pairs(ctx, hs, h, levels)
    return h, cache[tuple(levels)], n_dup


def _housing_pairs(ctx: RuleContext, hs: pd.DataFrame, h: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """(hh_id, housing row) pairs linking the households of ``h`` (by 户主 ID or an active member's ID18) with the
    住建 rows, with ``_open`` (a level of ``levels``, not 已竣工)."""
    am = ctx.active_members
    links = (
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "hh_id": h["hh_id"].values,
                        "_id18": ctx.table_id18("household", "head_id").reindex(h.index).values,
                    }
                ),
                pd.DataFrame({"hh_id": am["hh_id"].values, "_id18": am["id18"].values}),
            ]
        )
        .dropna()
        .drop_duplicates()
    )
    links = links[T.isin(links["hh_id"], h["hh_id"])]
    hs = hs[hs["_id18"].notna()].assign(
        _open=isin(hs, "appraisal_level", levels) & ~isin(hs, "renovation_status", ["已竣工"]),
        _level=recorded(hs, "appraisal_level"),
        _reno=recorded(hs, "renovation_status"),
    )
    m = links.merge(hs[["_id18", "_open", "_level", "_reno", "appraisal_level"]], on="_id18")
    return m.drop_duplicates()


@rule("R93")
def r93(ctx: RuleContext, p: dict) -> Parts:
    """住建鉴定危房未改造."""
    h, m, n_dup = housing_matches(ctx, p)
    op = m[m["_open"]]
    desc = join_by(op["hh_id"], op["_level"] + "级/" + op["_reno"])
    sub = h[h["hh_id"].isin(desc.index)]
    d = txt(sub["hh_id"].map(desc))
    df = findings(
        ctx,
        sub,
        "household",
        columns="鉴定等级、改造状态",
        values=d,
        message="住建部门鉴定为危房（" + d + "），尚未竣工",
    )
    return Parts({"": df}, evaluated=int(h["hh_id"].isin(m["hh_id"]).sum()), not_evaluated=n_dup)


@rule("R94")
def r94(ctx: RuleContext, p: dict) -> Parts:
    """危房信息与住建数据不一致."""
    h, m, n_dup = housing_matches(ctx, p)
    if "unsafe_house" not in h and "house_level" not in h:
        raise NotRun("贫困户信息 缺少列：是否危房户、危房级别")
    open_hh = set(m.loc[m["_open"], "hh_id"])
    any_hh = set(m["hh_id"])
    scope = h[h["hh_id"].isin(any_hh)]
    parts: dict = {"a": None, "b": None, "c": None}
    if "unsafe_house" in h:
        has_open = as_mask(scope["hh_id"].isin(open_hh))
        a = scope[has_open & no(scope, "unsafe_house")]
        parts["a"] = findings(
            ctx, a, "household", keys=["unsafe_house"], message="住建部门鉴定为危房且未竣工，但是否危房户为“否”"
        )
        b = scope[~has_open & yes(scope, "unsafe_house")]
        parts["b"] = findings(
            ctx,
            b,
            "household",
            keys=["unsafe_house"],
            message="是否危房户为“是”，但住建数据无未竣工的"
            + "、".join(params_list(p, "unsafe_house_levels"))
            + "级危房记录",
        )
    if "house_level" in h:
        op = m[m["_open"] & m["appraisal_level"].notna()]
        op = op.merge(scope[["hh_id", "house_level"]], on="hh_id")
        bad = op[op["house_level"].notna() & (op["appraisal_level"] != op["house_level"])]
        lv = join_by(bad["hh_id"], bad["_level"])
        c = scope[scope["hh_id"].isin(lv.index)]
        level = txt(c["hh_id"].map(lv))
        parts["c"] = findings(
            ctx,
            c,
            "household",
            columns="危房级别、鉴定等级",
            values=recorded(c, "house_level") + "；" + level,
            message="危房级别为" + recorded(c, "house_level") + "级，但住建鉴定等级为" + level + "级",
        )
    return Parts(parts, evaluated=len(scope), not_evaluated=n_dup)


@rule("R95")
def r95(ctx: RuleContext, p: dict) -> Parts:
    """残疾信息与残联数据不一致."""
    dl = dept_table(ctx, "disability")
    am = ctx.active_members
    listed = list_ids(ctx, dl, pd.Series(True, index=dl.index))
    on_list = matched(am, listed)
    dis = has_health(am, "残疾")
    a = am[dis & am["id18"].notna() & ~on_list]
    fa = findings(ctx, a, "member", keys=["health"], message="健康状况为残疾，但残联数据中无此人")
    b = am[on_list & am["health"].notna() & ~dis] if "health" in am else am.iloc[0:0]
    fb = findings(ctx, b, "member", keys=["health"], message="残联数据有此人，但健康状况为" + recorded(b, "health"))
    fc = None
    if "disability_no" in am:
        card = D.normalise_id(am["disability_no"])
        ok = as_mask(card.str.fullmatch(D.RE_DISABILITY)) & on_list
        mm = am[ok].assign(_cat=card[ok].str[18], _grd=card[ok].str[19])[["id18", "_cat", "_grd"]]
        mm = mm.rename_axis("_ix").reset_index()
        cols = [c for c in ("dis_category", "dis_grade") if c in dl]
        rows = dl[dl["_id18"].notna()][["_id18"] + cols]
        pairs = mm.merge(rows, left_on="id18", right_on="_id18")
        bad = pd.Series(False, index=pairs.index)
        if "dis_category" in pairs:
            bad |= as_mask(pairs["dis_category"].notna() & (pairs["_cat"] != pairs["dis_category"]))
        if "dis_grade" in pairs:
            bad |= as_mask(pairs["dis_grade"].notna() & (pairs["_grd"] != pairs["dis_grade"]))
        badp = pairs[bad]
        list_cat = txt(badp["dis_category"]) if "dis_category" in badp else pd.Series("（空）", index=badp.index)
        list_grd = txt(badp["dis_grade"]) if "dis_grade" in badp else pd.Series("（空）", index=badp.index)
        lst = join_by(badp["_ix"], "残联类别" + list_cat + "、等级" + list_grd)
        c = am.loc[lst.index]
        card_c = D.normalise_id(c["disability_no"])
        fc = findings(
            ctx,
            c,
            "member",
            columns="残疾证号类别、残疾证号等级",
            values=card_c.str[18] + "；" + card_c.str[19],
            message="残疾证号所示类别" + card_c.str[18] + "、等级" + card_c.str[19] + "与残联数据（" + lst + "）不符",
        )
    n_ne = int((dis & am["id18"].isna()).sum())
    return Parts({"a": fa, "b": fb, "c": fc}, evaluated=len(am), not_evaluated=n_ne)
