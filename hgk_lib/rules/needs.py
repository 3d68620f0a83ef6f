"""Rules R52-R61: 两不愁三保障 (basic needs, routed to sector departments)."""

from __future__ import annotations

import pandas as pd

from .build import findings
from .context import RuleContext
from .engine import NotRun, Parts, rule
from .social import (
    active_members,
    as_mask,
    audit_year_measures,
    blank,
    blank_or_raw,
    has_health,
    header,
    hh_mask,
    hh_with,
    household_scope,
    in_school,
    isin,
    no,
    num,
    params_list,
    recorded,
    yes,
)


@rule("R52")
def r52(ctx: RuleContext, p: dict) -> Parts:
    """义务教育阶段适龄儿童失学辍学: school age in the compulsory band, not in school, no reason recorded."""
    am = active_members(ctx)
    known = am["school_age"].notna()
    sa = am["school_age"]
    band = known & as_mask((sa >= p["compulsory_age_min"]) & (sa <= p["compulsory_age_max"]))
    no_reason = blank(am, "out_of_school_reason")  # an absent column counts as blank
    hit = band & ~in_school(am) & no_reason
    sub = am[hit]
    msg = (
        "义务教育阶段适龄（入学年龄"
        + sub["school_age"].astype(str)
        + "岁），在校生状况为“"
        + recorded(sub, "school_status")
        + "”，未填写未上学原因"
    )
    keys = ["school_status"] + (["out_of_school_reason"] if "out_of_school_reason" in am else [])
    df = findings(ctx, sub, "member", keys=keys, message=msg)
    return Parts({"": df}, evaluated=int(known.sum()), not_evaluated=int((~known).sum()))


@rule("R53")
def r53(ctx: RuleContext, p: dict) -> Parts:
    """未参加基本医疗保险 (blank counts; an absent 城镇职工 column counts as not 是; 现役军人 excepted)."""
    am = active_members(ctx)
    scope = am[~yes(am, "soldier")]
    hit = ~yes(scope, "ins_resident") & ~yes(scope, "ins_employee")
    sub = scope[hit]
    keys = ["ins_resident"] + (["ins_employee"] if "ins_employee" in am else [])
    df = findings(ctx, sub, "member", keys=keys, message="未参加城乡居民基本医疗保险，也未参加城镇职工基本医疗保险")
    return Parts({"": df}, evaluated=len(scope))


@rule("R54")
def r54(ctx: RuleContext, p: dict) -> Parts:
    """大病患者未参加大病保险 (blank counts; 现役军人 excepted)."""
    am = active_members(ctx)
    scope = am[has_health(am, "患有大病") & ~yes(am, "soldier")]
    sub = scope[~yes(scope, "ins_critical")]
    df = findings(
        ctx,
        sub,
        "member",
        keys=["health", "ins_critical"],
        message="患有大病，但是否参加大病保险为“" + recorded(sub, "ins_critical") + "”",
    )
    return Parts({"": df}, evaluated=len(scope))


@rule("R55")
def r55(ctx: RuleContext, p: dict) -> Parts:
    """患病成员户无健康帮扶措施 (audit year)."""
    am = active_members(ctx)
    h, n_dup = household_scope(ctx)
    ms = audit_year_measures(ctx)
    sick = has_health(am, "患有大病") | has_health(am, "长期慢性病")
    scope = h[hh_mask(h, hh_with(am, sick))]
    helped = set(ms.loc[isin(ms, "category", ["健康帮扶"]), "hh_id"].dropna())
    sub = scope[~hh_mask(scope, helped)]
    n_sick = sub["hh_id"].map(am[sick]["hh_id"].value_counts()).astype(int)
    msg = "有" + n_sick.astype(str) + f"名成员患有大病或长期慢性病，但{ctx.audit_year}年无健康帮扶措施"
    df = findings(
        ctx, sub, "household", columns="健康状况、措施类别", values="患有大病/长期慢性病；无健康帮扶", message=msg
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)


@rule("R56")
def r56(ctx: RuleContext, p: dict) -> Parts:
    """住房安全无保障."""
    h, n_dup = household_scope(ctx)
    levels = params_list(p, "unsafe_house_levels")
    parts: dict = {}
    parts["a"] = (
        findings(
            ctx,
            h[yes(h, "unsafe_house")],
            "household",
            keys=["unsafe_house"],
            message="是否危房户为“是”，住房安全未保障",
        )
        if "unsafe_house" in h
        else None
    )
    if "house_level" in h:
        sub = h[isin(h, "house_level", levels)]
        parts["b"] = findings(
            ctx,
            sub,
            "household",
            keys=["house_level"],
            message="危房级别为" + recorded(sub, "house_level") + "级，住房安全未保障",
        )
    else:
        parts["b"] = None
    if "house_area" in h:
        sub = h[as_mask(num(h, "house_area").eq(0))]
        parts["c"] = findings(ctx, sub, "household", keys=["house_area"], message="住房面积为0平方米，住房安全未保障")
    else:
        parts["c"] = None
    if all(v is None for v in parts.values()):
        raise NotRun("贫困户信息 缺少列：是否危房户、危房级别、住房面积（平方米）")
    return Parts(parts, evaluated=len(h), not_evaluated=n_dup)


@rule("R57")
def r57(ctx: RuleContext, p: dict) -> Parts:
    """危房标识与级别矛盾."""
    h, n_dup = household_scope(ctx)
    levels = params_list(p, "unsafe_house_levels")
    lv = recorded(h, "house_level")
    keys = ["unsafe_house", "house_level"]
    a = h[no(h, "unsafe_house") & isin(h, "house_level", levels)]
    b = h[yes(h, "unsafe_house") & isin(h, "house_level", ["A", "B"])]
    c = h[yes(h, "unsafe_house") & blank(h, "house_level")]
    return Parts(
        {
            "a": findings(
                ctx, a, "household", keys=keys, message="是否危房户为“否”，但危房级别为" + lv[a.index] + "级"
            ),
            "b": findings(
                ctx, b, "household", keys=keys, message="是否危房户为“是”，但危房级别为" + lv[b.index] + "级（非危房）"
            ),
            "c": findings(
                ctx,
                c,
                "household",
                keys=keys,
                message="是否危房户为“是”，但" + blank_or_raw(c, "house_level", "危房级别"),
            ),
        },
        evaluated=len(h),
        not_evaluated=n_dup,
    )


@rule("R58")
def r58(ctx: RuleContext, p: dict) -> Parts:
    """饮水安全未解决."""
    h, n_dup = household_scope(ctx)
    if "safe_water" not in h and "water_difficulty" not in h:
        raise NotRun("贫困户信息 缺少列：是否解决安全饮用水、饮水是否困难")
    a = (
        findings(ctx, h[no(h, "safe_water")], "household", keys=["safe_water"], message="未解决安全饮用水")
        if "safe_water" in h
        else None
    )
    b = (
        findings(ctx, h[yes(h, "water_difficulty")], "household", keys=["water_difficulty"], message="饮水困难")
        if "water_difficulty" in h
        else None
    )
    return Parts({"a": a, "b": b}, evaluated=len(h), not_evaluated=n_dup)


@rule("R59")
def r59(ctx: RuleContext, p: dict) -> Parts:
    """未通生活用电."""
    h, n_dup = household_scope(ctx)
    df = findings(
        ctx,
        h[no(h, "power_living")],
        "household",
        keys=["power_living"],
        message="未通生活用电（由扶贫办协调供电部门）",
    )
    return Parts({"": df}, evaluated=len(h), not_evaluated=n_dup)


@rule("R60")
def r60(ctx: RuleContext, p: dict) -> Parts:
    """入户道路未硬化或远离主干路."""
    h, n_dup = household_scope(ctx)
    if "road_type" not in h and "road_distance_km" not in h:
        raise NotRun("贫困户信息 缺少列：入户路类型、与村主干路距离（公里）")
    a = b = None
    if "road_type" in h:
        sub = h[isin(h, "road_type", params_list(p, "unhardened_road_types"))]
        a = findings(
            ctx, sub, "household", keys=["road_type"], message="入户路为" + recorded(sub, "road_type") + "，未硬化"
        )
    if "road_distance_km" in h:
        d = num(h, "road_distance_km")
        sub = h[as_mask((d > p["road_distance_max_km"]) & (d <= p["road_distance_implausible_km"]))]
        b = findings(
            ctx,
            sub,
            "household",
            keys=["road_distance_km"],
            message="与村主干路距离" + recorded(sub, "road_distance_km") + f"公里，超过{p['road_distance_max_km']}公里",
        )
    return Parts({"a": a, "b": b}, evaluated=len(h), not_evaluated=n_dup)


AREA_COLUMNS = ["house_area", "arable_mu", "forest_mu", "grain_to_green_mu"]


@rule("R61")
def r61(ctx: RuleContext, p: dict) -> Parts:
    """生产生活条件数值异常."""
    h, n_dup = household_scope(ctx)
    cols = [c for c in ["road_distance_km"] + AREA_COLUMNS if c in h]
    if not cols:
        raise NotRun(
            "贫困户信息 缺少列：与村主干路距离（公里）、住房面积（平方米）、耕地面积（亩）、林地面积（亩）、"
            "退耕还林面积（亩）"
        )
    parts: dict = {"a": None, "b": None, "c": None, "d": None, "e": None}
    if "road_distance_km" in h:
        d = num(h, "road_distance_km")
        sub = h[as_mask((d < 0) | (d > p["road_distance_implausible_km"]))]
        parts["a"] = findings(
            ctx,
            sub,
            "household",
            keys=["road_distance_km"],
            message="与村主干路距离" + recorded(sub, "road_distance_km") + "公里，数值不合理",
        )
    areas = [c for c in AREA_COLUMNS if c in h]
    if areas:
        neg = {c: as_mask(num(h, c) < 0) for c in areas}
        any_neg = pd.concat(neg, axis=1).any(axis=1)
        sub = h[any_neg]
        cols_s = pd.Series("", index=sub.index, dtype=object)
        vals_s = pd.Series("", index=sub.index, dtype=object)
        for c in areas:  # loop over four columns, not over households
            hit = neg[c][sub.index]
            cols_s = cols_s + pd.Series(header("household", c) + "、", index=sub.index).where(hit, "")
            vals_s = vals_s + (recorded(sub, c) + "；").where(hit, "")
        cols_s, vals_s = cols_s.str.rstrip("、"), vals_s.str.rstrip("；")
        parts["b"] = findings(
            ctx, sub, "household", columns=cols_s, values=vals_s, message="面积为负数：" + cols_s + "为" + vals_s
        )
    a_cnt = h["A"].astype(float)
    if "arable_mu" in h:
        pc = num(h, "arable_mu") / a_cnt.where(a_cnt >= 1)
        sub = h[as_mask(pc > p["arable_pc_max"])]
        parts["c"] = findings(
            ctx,
            sub,
            "household",
            keys=["arable_mu"],
            message="耕地面积"
            + recorded(sub, "arable_mu")
            + "亩，正常成员"
            + sub["A"].astype(str)
            + f"人，人均超过{p['arable_pc_max']}亩",
        )
    if "forest_mu" in h:
        pc = num(h, "forest_mu") / a_cnt.where(a_cnt >= 1)
        sub = h[as_mask(pc > p["forest_pc_max"])]
        parts["d"] = findings(
            ctx,
            sub,
            "household",
            keys=["forest_mu"],
            message="林地面积"
            + recorded(sub, "forest_mu")
            + "亩，正常成员"
            + sub["A"].astype(str)
            + f"人，人均超过{p['forest_pc_max']}亩",
        )
    if "forest_mu" in h and "grain_to_green_mu" in h:
        sub = h[as_mask(num(h, "grain_to_green_mu") > num(h, "forest_mu"))]
        parts["e"] = findings(
            ctx,
            sub,
            "household",
            keys=["grain_to_green_mu", "forest_mu"],
            message="退耕还林面积"
            + recorded(sub, "grain_to_green_mu")
            + "亩大于林地面积"
            + recorded(sub, "forest_mu")
            + "亩",
        )
    return Parts(parts, evaluated=len(h), not_evaluated=n_dup)
