"""Open basic-needs problems (两不愁三保障) with department, deadline and whether they can be fixed this year, and the
other routed sector findings (power, road, pension).

A problem is open when its evidence holds on the reference date; deadline = reference_date + the type's days
(``params.needs``); resolvable this year when the deadline is on or before 31 December of the audit year.
"""

from __future__ import annotations

import pandas as pd

from .. import text as T
from ..params import NEED_TYPES
from .common import CLASS_NONE, Base, blank_text, col, has_health, isin, list_id18, no, num, yes
from .labour import safety_net

EDU, MED, CRIT, HOUSE_WIP, HOUSE_OPEN, WATER, SAFETY = NEED_TYPES
DEPARTMENTS = {
    EDU: "教育局",
    MED: "医保局",
    CRIT: "医保局",
    HOUSE_WIP: "住建局",
    HOUSE_OPEN: "住建局",
    WATER: "水利局",
    SAFETY: "民政局",
}
NEEDS_COLUMNS = ["hh_id", "person_id", "problem_type", "department", "evidence", "deadline", "resolvable"]
SECTOR_COLUMNS = ["hh_id", "person_id", "issue", "department", "evidence"]

ISSUE_POWER = "未通生活用电"
ISSUE_ROAD = "入户道路未硬化或远离主干路"


def _rows(
    df: pd.DataFrame, mask: pd.Series, problem: str, evidence: pd.Series | str, person: bool = True
) -> pd.DataFrame:
    sub = df[mask.fillna(False).astype(bool)]
    ev = evidence[sub.index] if isinstance(evidence, pd.Series) else pd.Series(evidence, index=sub.index)
    return pd.DataFrame(
        {
            "hh_id": sub["hh_id"].to_numpy(dtype=object),
            "person_id": (col(sub, "person_id") if person else pd.Series(None, index=sub.index)).to_numpy(dtype=object),
            "problem_type": problem,
            "evidence": ev.astype(object).to_numpy(dtype=object),
        }
    )


def _text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "空").astype(str)


def _education(base: Base, notes: list[str]) -> list[pd.DataFrame]:
    p, m = base.p, base.members
    am = m[m["active"]]
    out = []
    if "school_status" in am:
        sa = am["school_age"]
        band = ((sa >= p.compulsory_age_min) & (sa <= p.compulsory_age_max)).fillna(False).astype(bool)
        status = col(am, "school_status")
        not_in_school = status.isna() | (status == "非在校生")
        reason = col(am, "out_of_school_reason")
        r = reason.fillna("").astype(str)
        valid = (
            ~blank_text(am, "out_of_school_reason")
            & (r.str.contains("病") | r.str.contains("残"))
            & (has_health(am, "残疾") | has_health(am, "患有大病"))
        )
        hit = band & not_in_school & ~valid
        why = pd.Series("，未填写未上学原因", index=am.index).where(
            reason.isna(), "，未上学原因“" + r + "”不能免除（须因病或因残，且健康状况有残疾或患有大病）"
        )
        ev = "贫困人口信息：入学年龄" + sa.astype(str) + "岁，在校生状况为“" + _text(status) + "”" + why
        out.append(_rows(am, hit, EDU, ev))
    else:
        notes.append(
            "贫困人口信息缺少“在校生状况”：义务教育失学辍学仅按教育_学籍判断"
            if "education" in base.lists
            else "贫困人口信息缺少“在校生状况”且未提供教育_学籍：义务教育失学辍学未核查"
        )
    edu = base.lists.get("education")
    if edu is not None:
        e = edu.assign(_id=list_id18(edu))
        drop = e[isin(e, "enrol_status", ["辍学"])]
        ok = set(e.loc[isin(e, "enrol_status", ["在读", "休学"]), "_id"].dropna())
        drop_ids = set(drop["_id"].dropna()) - ok
        low_stage = set(drop.loc[isin(drop, "stage", ["小学", "初中"]), "_id"].dropna())
        sa = am["school_age"]
        band = ((sa >= p.compulsory_age_min) & (sa <= p.compulsory_age_max)).fillna(False).astype(bool)
        hit = T.isin_series(am["id18"], drop_ids) & (band | T.isin_series(am["id18"], low_stage))
        out.append(_rows(am, hit, EDU, "教育_学籍：在读状态为辍学"))
    return out


def _medical(base: Base, notes: list[str]) -> list[pd.DataFrame]:
    p, m = base.p, base.members
    am = m[m["active"] & ~yes(m, "soldier")]
    out = []
    if "ins_resident" in am:
        hit = ~yes(am, "ins_resident") & ~yes(am, "ins_employee")
        out.append(_rows(am, hit, MED, "贫困人口信息：未参加城乡居民基本医疗保险，也未参加城镇职工基本医疗保险"))
    med = base.lists.get("medical")
    if med is not None:
        y = pd.to_numeric(med["ins_year"], errors="coerce") if "ins_year" in med else pd.Series(dtype=float)
        ids = list_id18(med)[(y == p.audit_year).fillna(False).astype(bool)].dropna()
        hit = ~T.isin_series(am["id18"], ids)
        out.append(_rows(am, hit, MED, f"医保_参保：无{p.audit_year}年参保记录"))
    if "ins_resident" not in am and med is None:
        notes.append("贫困人口信息缺少“是否参加城乡居民基本医疗保险”且未提供医保_参保：未参加基本医疗保险未核查")
    if "ins_critical" in am and "health" in am:
        hit = has_health(am, "患有大病") & ~yes(am, "ins_critical")
        out.append(
            _rows(
                am,
                hit,
                CRIT,
                "贫困人口信息：患有大病，是否参加大病保险为“"
                + _text(col(am, "ins_critical").map({True: "是", False: "否"}))
                + "”",
            )
        )
    else:
        notes.append("贫困人口信息缺少“是否参加大病保险”或“健康状况”：大病保障未落实未核查")
    return out


def housing_status(base: Base, notes: list[str] | None = None) -> pd.DataFrame:
    """Per household: ``unsafe`` (bool), ``in_progress`` (the 住建 row says 改造中) and ``evidence``.

    With a 住建_危房 row for the household (matched as R93: the row's 户主证件号码 as ID18 equals the household's
    户主证件号码 or an active member's 证件号码) the appraisal decides; otherwise the registry's 是否危房户 / 危房级别.
    """
    p, h, m = base.p, base.households, base.members
    levels = list(p.unsafe_house_levels)
    idx = h["hh_id"].to_numpy(dtype=object)
    reg_flag = yes(h, "unsafe_house")
    reg_level = isin(h, "house_level", levels)
    reg_unsafe = (reg_flag | reg_level).to_numpy(dtype=bool)
    reg_ev = (
        pd.Series("是否危房户为“是”", index=h.index).where(reg_flag, "")
        + pd.Series("，", index=h.index).where(reg_flag & reg_level, "")
        + ("危房级别为" + col(h, "house_level").fillna("").astype(str) + "级").where(reg_level, "")
    )
    out = pd.DataFrame(
        {"unsafe": reg_unsafe, "in_progress": False, "evidence": ("贫困户信息：" + reg_ev).to_numpy(dtype=object)},
        index=idx,
    )
    if "unsafe_house" not in h and "house_level" not in h and notes is not None and "housing" not in base.lists:
        notes.append("贫困户信息缺少“是否危房户”“危房级别”且未提供住建_危房：住房安全未核查")
    hs = base.lists.get("housing")
    if hs is None:
        return out
    keys = (
        pd.concat(
            [
                pd.DataFrame(
                    {"hh_id": h["hh_id"].to_numpy(dtype=object), "_id": h["head_id18"].to_numpy(dtype=object)}
                ),
                pd.DataFrame(
                    {
                        "hh_id": m.loc[m["active"], "hh_id"].to_numpy(dtype=object),
                        "_id": m.loc[m["active"], "id18"].to_numpy(dtype=object),
                    }
                ),
            ]
        )
        .dropna()
        .drop_duplicates()
    )
    rows = hs.assign(_id=list_id18(hs, "head_id"), _rowpos=range(len(hs))).dropna(subset=["_id"])
    matched = keys.merge(rows, on="_id").drop_duplicates(subset=["hh_id", "_rowpos"])
    status = col(matched, "renovation_status")
    matched = matched.assign(
        _open=(isin(matched, "appraisal_level", levels) & (status != "已竣工").fillna(True)).astype(bool),
        _wip=(status == "改造中").fillna(False).astype(bool),
    )
    opened = matched[matched["_open"]]
    has_row = set(matched["hh_id"])
    open_ids = set(opened["hh_id"])
    # 改造中 only when every open row of the household is under renovation
    wip_all = opened.groupby("hh_id")["_wip"].all()
    ev = (
        "住建_危房：鉴定等级"
        + col(opened, "appraisal_level").fillna("").astype(str)
        + "级，改造状态为“"
        + _text(status[opened.index])
        + "”"
    )
    ev_by_hh = pd.Series(ev.to_numpy(dtype=object), index=opened["hh_id"].to_numpy(dtype=object))
    ev_by_hh = ev_by_hh.groupby(level=0).agg("；".join)
    in_list = out.index.isin(list(has_row))
    out.loc[in_list, "unsafe"] = out.index[in_list].isin(list(open_ids))
    out.loc[in_list, "evidence"] = ""
    is_open = out.index.isin(list(open_ids))
    out.loc[is_open, "evidence"] = ev_by_hh.reindex(out.index[is_open]).to_numpy(dtype=object)
    out.loc[is_open, "in_progress"] = wip_all.reindex(out.index[is_open]).fillna(False).to_numpy(dtype=bool)
    out["in_progress"] = out["in_progress"].astype(bool)
    out["unsafe"] = out["unsafe"].astype(bool)
    return out


def _household_problems(base: Base, cls: pd.Series, notes: list[str]) -> list[pd.DataFrame]:
    h = base.households
    out = []
    hs = housing_status(base, notes)
    hh = h.assign(
        _unsafe=hs["unsafe"].reindex(h["hh_id"]).to_numpy(dtype=bool),
        _wip=hs["in_progress"].reindex(h["hh_id"]).to_numpy(dtype=bool),
        _ev=hs["evidence"].reindex(h["hh_id"]).to_numpy(dtype=object),
    )
    out.append(_rows(hh, hh["_unsafe"] & hh["_wip"], HOUSE_WIP, hh["_ev"], person=False))
    out.append(_rows(hh, hh["_unsafe"] & ~hh["_wip"], HOUSE_OPEN, hh["_ev"], person=False))
    if "safe_water" in h or "water_difficulty" in h:
        a, b = no(h, "safe_water"), yes(h, "water_difficulty")
        ev = (
            "贫困户信息："
            + pd.Series("未解决安全饮用水", index=h.index).where(a, "")
            + pd.Series("，", index=h.index).where(a & b, "")
            + pd.Series("饮水困难", index=h.index).where(b, "")
        )
        out.append(_rows(h, a | b, WATER, ev, person=False))
    else:
        notes.append("贫困户信息缺少“是否解决安全饮用水”“饮水是否困难”：饮水不安全未核查")
    net = safety_net(base)
    uncovered = ~net["covered"].reindex(h["hh_id"]).to_numpy(dtype=bool)
    none = (cls.reindex(h["hh_id"]) == CLASS_NONE).to_numpy(dtype=bool)
    has_members = (h["A"] >= 1).to_numpy(dtype=bool)
    src = "贫困人口信息、民政_低保特困" if "civil" in base.lists else "贫困人口信息"
    ev = f"无劳动能力，户内正常成员均未享受低保或特困供养（{src}）"
    out.append(_rows(h, pd.Series(none & uncovered & has_members, index=h.index), SAFETY, ev, person=False))
    return out


def needs_table(base: Base, cls: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """三保障问题: one row per open problem of any household (exited or not), with deadline and resolvability."""
    notes: list[str] = []
    parts = _education(base, notes) + _medical(base, notes) + _household_problems(base, cls, notes)
    parts = [x for x in parts if len(x)]
    if parts:
        df = pd.concat(parts, ignore_index=True)
    else:
        df = pd.DataFrame({"hh_id": [], "person_id": [], "problem_type": [], "evidence": []}, dtype=object)
    # one row per (household, person, problem): registry and department list evidence joined
    key = ["hh_id", "person_id", "problem_type"]
    df = (
        df.assign(person_id=df["person_id"].astype(object).where(df["person_id"].notna(), ""))
        .groupby(key, sort=False, dropna=False)["evidence"]
        .agg(lambda s: "；".join(dict.fromkeys(s)))
        .reset_index()
    )
    df["person_id"] = df["person_id"].where(df["person_id"] != "", None)
    p = base.p
    days = df["problem_type"].map(p.need_days).astype("int64")
    df["department"] = df["problem_type"].map(DEPARTMENTS)
    df["deadline"] = p.reference_date + pd.to_timedelta(days, unit="D")
    df["resolvable"] = (df["deadline"] <= p.year_end).astype(bool)
    order = {t: i for i, t in enumerate(NEED_TYPES)}
    df = df.assign(_o=df["problem_type"].map(order), _p=df["person_id"].fillna("")).sort_values(
        ["hh_id", "_o", "_p"], kind="stable"
    )
    df["deadline"] = pd.to_datetime(df["deadline"]).astype("datetime64[ns]")
    return df[NEEDS_COLUMNS].reset_index(drop=True), notes


def sector_table(base: Base) -> tuple[pd.DataFrame, list[str]]:
    """Routed non-basic-needs findings: 未通生活用电 → 供电部门; 泥土路 or far from the road → 交通局; 60+ without
    pension → 人社局."""
    p, h = base.p, base.households
    notes: list[str] = []
    parts = []
    if "power_living" in h:
        parts.append(
            _rows(h, no(h, "power_living"), ISSUE_POWER, "贫困户信息：是否通生活用电为“否”", person=False).assign(
                department="供电部门"
            )
        )
    else:
        notes.append("贫困户信息缺少“是否通生活用电”：未通生活用电未核查")
    if "road_type" in h or "road_distance_km" in h:
        a = isin(h, "road_type", p.unhardened_road_types)
        d = num(h, "road_distance_km")
        b = (d > p.road_distance_max_km).fillna(False).astype(bool)
        limit = f"{p.road_distance_max_km:g}"
        ev = (
            "贫困户信息："
            + ("入户路类型为" + col(h, "road_type").fillna("").astype(str)).where(a, "")
            + pd.Series("，", index=h.index).where(a & b, "")
            + ("与村主干路距离" + d.map(lambda v: f"{v:g}") + f"公里（超过{limit}公里）").where(b, "")
        )
        parts.append(_rows(h, a | b, ISSUE_ROAD, ev, person=False).assign(department="交通局"))
    else:
        notes.append("贫困户信息缺少“入户路类型”“与村主干路距离（公里）”：入户道路未核查")
    m = base.members
    am = m[m["active"]]
    if "pension_receiving" in am:
        old = (am["age"] >= p.pension_age).fillna(False).astype(bool)
        hit = old & ~yes(am, "pension_receiving")
        ev = (
            "贫困人口信息："
            + am["age"].astype(str)
            + "岁，是否领取养老金为“"
            + _text(col(am, "pension_receiving").map({True: "是", False: "否"}))
            + "”"
        )
        parts.append(_rows(am, hit, f"{p.pension_age}岁以上未领取养老金", ev).assign(department="人社局"))
    else:
        notes.append("贫困人口信息缺少“是否领取养老金”：老年人养老金未核查")
    parts = [x for x in parts if len(x)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SECTOR_COLUMNS}), notes
    df = pd.concat(parts, ignore_index=True).rename(columns={"problem_type": "issue"})
    df = df.sort_values(["hh_id"], kind="stable")
    return df[SECTOR_COLUMNS].reset_index(drop=True), notes
