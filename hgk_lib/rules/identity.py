"""身份信息 (identity): R01–R09. ID numbers per GB 11643; the region code (digits 1–6) is never checked."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .context import RuleContext
from .engine import NotRun, Parts, finding, mask, q, shown, rule

SEX_OF_DIGIT = {True: "男", False: "女"}


def _type_label(m: pd.DataFrame) -> pd.Series:
    t = m["id_type"].astype(object) if "id_type" in m else pd.Series(None, index=m.index, dtype=object)
    return t.fillna("居民身份证")


def _std_pass(m: pd.DataFrame) -> pd.Series:
    """Passes R01 with 证件类型 ≠ 其他 (the population of R02–R06)."""
    return m["id_std"]


def _encoded(m: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(encoded date text YYYYMMDD, parsed date or NaT, is-15-digit) for the ID body."""
    body = m["body"].astype(object)
    is18 = body.str.fullmatch(D.RE_ID18).fillna(False).astype(bool)
    is15 = body.str.fullmatch(D.RE_ID15).fillna(False).astype(bool)
    ymd = pd.Series(None, index=m.index, dtype=object)
    ymd[is18] = body[is18].str[6:14]
    ymd[is15] = "19" + body[is15].str[6:12]
    return ymd, pd.to_datetime(ymd, format="%Y%m%d", errors="coerce"), is15


def _r03_pass(m: pd.DataFrame, ref: pd.Timestamp, age_max: int) -> pd.Series:
    """Rows passing R01 (not 其他) whose encoded date is real, not after the reference date and age ≤ age_max."""
    _, enc, _ = _encoded(m)
    age = D.age_on(enc, ref)
    ok = enc.notna() & (enc <= ref) & mask(age <= age_max)
    return (_std_pass(m) & ok).astype(bool)


@rule("R01")
def r01(ctx: RuleContext, p: dict):
    m = ctx.members
    bad = ~m["id_ok"]
    hit = m[bad.to_numpy()]
    blank = hit["id_no"].isna()
    t = _type_label(hit)
    form = np.where(t == "残疾人证", "18位或15位身份证号码，或20/22位残疾人证号", "18位或15位身份证号码")
    msg = pd.Series("证件号码为空", index=hit.index, dtype=object)
    nb = ~blank.to_numpy()
    msg[nb] = ("证件号码" + q(shown(hit, "id_no"))[nb] + "不符合" + q(t)[nb] + "的格式（应为"
               + pd.Series(form, index=hit.index)[nb] + "）")
    keys = ["id_type", "id_no"] if "id_type" in m else ["id_no"]
    return Parts({"": finding(hit, "member", keys, msg)}, evaluated=len(m))


@rule("R02")
def r02(ctx: RuleContext, p: dict):
    m = ctx.members
    body = m["body"].astype(object)
    scope = _std_pass(m) & body.str.len().eq(18).fillna(False).astype(bool)
    s = m[scope.to_numpy()]
    b = s["body"].astype(object)
    cc = D.check_char(b.str[:17])
    bad = (b.str[17] != cc).fillna(False).astype(bool)
    hit = s[bad.to_numpy()]
    msg = ("证件号码第18位校验码为" + q(hit["body"].str[17]) + "，按GB 11643应为" + q(cc[bad.to_numpy()]))
    return Parts({"": finding(hit, "member", ["id_no"], msg)}, evaluated=len(s))


@rule("R03")
def r03(ctx: RuleContext, p: dict):
    m = ctx.members
    ref = pd.Timestamp(p["reference_date"])
    age_max = int(p["age_max"])
    s = m[_std_pass(m).to_numpy()]
    ymd, enc, _ = _encoded(s)
    age = D.age_on(enc, ref)
    invalid = enc.isna()
    future = enc.notna() & (enc > ref)
    old = mask(age > age_max) & ~future
    hit_mask = (invalid | future | old).to_numpy(dtype=bool)
    hit = s[hit_mask]
    y = ymd[hit_mask].astype(str)
    shown_date = y.str[:4] + "-" + y.str[4:6] + "-" + y.str[6:8]
    msg = pd.Series("", index=hit.index, dtype=object)
    inv, fut, ol = invalid[hit_mask], future[hit_mask], old[hit_mask]
    msg[inv.to_numpy()] = "证件号码中的出生日期" + shown_date[inv.to_numpy()] + "不是有效日期"
    msg[fut.to_numpy()] = ("证件号码中的出生日期" + shown_date[fut.to_numpy()] + "晚于基准日"
                           + ref.strftime("%Y-%m-%d"))
    msg[ol.to_numpy()] = ("证件号码中的出生日期" + shown_date[ol.to_numpy()] + "对应年龄"
                          + age[hit_mask][ol.to_numpy()].astype(str) + "岁，超过" + str(age_max) + "岁")
    return Parts({"": finding(hit, "member", ["id_no"], msg)}, evaluated=len(s))


@rule("R04")
def r04(ctx: RuleContext, p: dict):
    m = ctx.members
    scope = _std_pass(m) & m["sex"].notna().to_numpy()
    s = m[scope.to_numpy()]
    body = s["body"].astype(object)
    is15 = body.str.len().eq(15).fillna(False).astype(bool)
    digit = body.str[16].where(~is15, body.str[14])
    odd = digit.astype(int) % 2 == 1
    bad = (odd & (s["sex"] == "女")) | (~odd & (s["sex"] == "男"))
    bad = mask(bad)
    hit = s[bad.to_numpy()]
    pos = np.where(is15[bad.to_numpy()], "15", "17")
    implied = odd[bad.to_numpy()].map(SEX_OF_DIGIT)
    msg = ("性别为" + q(hit["sex"]) + "，但证件号码第" + pd.Series(pos, index=hit.index) + "位为"
           + digit[bad.to_numpy()] + "（" + implied + "）")
    return Parts({"": finding(hit, "member", ["sex", "id_no"], msg)}, evaluated=len(s))


@rule("R05")
def r05(ctx: RuleContext, p: dict):
    m = ctx.members
    bd = m["birth_date"]
    raw = m["birth_date__raw"] if "birth_date__raw" in m else pd.Series(None, index=m.index, dtype=object)
    nonblank = bd.notna() | raw.notna()
    s = m[nonblank.to_numpy()]
    invalid = s["birth_date"].isna()
    r03ok = _r03_pass(s, pd.Timestamp(p["reference_date"]), int(ctx.params.get("age_max", 110)))
    _, enc, _ = _encoded(s)
    differs = r03ok & s["birth_date"].notna() & (s["birth_date"] != enc)
    differs = mask(differs)
    hit_mask = (invalid | differs).to_numpy(dtype=bool)
    hit = s[hit_mask]
    msg = pd.Series("", index=hit.index, dtype=object)
    inv = invalid[hit_mask].to_numpy(dtype=bool)
    msg[inv] = "出生日期" + q(shown(hit, "birth_date"))[inv] + "不是有效日期"
    msg[~inv] = ("出生日期为" + shown(hit, "birth_date")[~inv] + "，但证件号码中的出生日期为"
                 + enc[hit_mask][~inv].dt.strftime("%Y-%m-%d").astype(object))
    return Parts({"": finding(hit, "member", ["birth_date", "id_no"], msg)}, evaluated=len(s))


@rule("R06")
def r06(ctx: RuleContext, p: dict):
    m = ctx.members
    s = m[_std_pass(m).to_numpy()]
    is15 = s["body"].astype(object).str.len().eq(15).fillna(False).astype(bool)
    hit = s[is15.to_numpy()]
    msg = "15位身份证号尚未升级为18位，对应的18位号码为" + hit["id18"].astype(str) + "，请核实后更正"
    return Parts({"": finding(hit, "member", ["id_no"], msg)}, evaluated=len(s))


@rule("R07")
def r07(ctx: RuleContext, p: dict):
    m = ctx.members
    dn = D.normalise_id(m["disability_no"])
    s = m[dn.notna().to_numpy()]
    dn = dn[dn.notna()]
    first18 = dn.str[:18]
    # (a) form
    a = ~dn.str.fullmatch(D.RE_DISABILITY).fillna(False).astype(bool)
    # (b) checksum of the first 18 characters (judged where they have the ID shape)
    shaped = first18.str.fullmatch(D.RE_ID18).fillna(False).astype(bool)
    cc = D.check_char(first18.str[:17])
    b = shaped & (first18.str[17] != cc).fillna(False).astype(bool)
    # (c) the person's own ID
    c = s["id_std"] & s["id18"].notna() & (first18 != s["id18"].astype(object)).fillna(False).astype(bool)
    keys = ["disability_no"]
    ha = s[a.to_numpy()]
    hb = s[b.to_numpy()]
    hc = s[mask(c).to_numpy()]
    parts = {
        "a": finding(ha, "member", keys, "残疾证号" + q(shown(ha, "disability_no"))
                     + "格式不符（应为18位身份证号+残疾类别1–7+残疾等级1–4，可另带2位后缀）"),
        "b": finding(hb, "member", keys, "残疾证号前18位的校验码为" + q(first18[b.to_numpy()].str[17])
                     + "，按GB 11643应为" + q(cc[b.to_numpy()])),
        "c": finding(hc, "member", ["disability_no", "id_no"], "残疾证号前18位" + q(first18[mask(c).to_numpy()])
                     + "与本人证件号码（18位）" + q(hc["id18"].astype(str)) + "不一致"),
    }
    return Parts(parts, evaluated=len(s))


def _dup_list(rows: pd.DataFrame, key: str, label_cols: list[str]) -> pd.Series:
    """For each row of ``rows``: the other rows sharing ``key``, as "户编号X/人编号Y" joined by 、."""
    r = rows[[key] + label_cols].copy()
    r["_i"] = np.arange(len(r))
    r["_lab"] = ""
    for c in label_cols:
        r["_lab"] = r["_lab"] + r[c].astype(object).fillna("（空）").astype(str)
    pairs = r[[key, "_i"]].merge(r[[key, "_i", "_lab"]], on=key, suffixes=("", "_o"))
    pairs = pairs[pairs["_i"] != pairs["_i_o"]]
    lists = pairs.groupby("_i")["_lab"].agg("、".join)
    return pd.Series(lists.reindex(np.arange(len(r))).to_numpy(), index=rows.index, dtype=object)


@rule("R08")
def r08(ctx: RuleContext, p: dict):
    m = ctx.members
    s = m[(m["active"] & m["id_ok"] & m["id18"].notna()).to_numpy()]
    dup = s["id18"].duplicated(keep=False)
    hit = s[dup.to_numpy()]
    hit = hit.assign(_h="户编号" + hit["hh_id"].astype(object).fillna("（空）").astype(str) + "/人编号",
                     _p=hit["person_id"].astype(object))
    others = _dup_list(hit, "id18", ["_h", "_p"]) if len(hit) else pd.Series(dtype=object)
    msg = "证件号码在本县正常成员中重复，同号成员：" + others.astype(str)
    return Parts({"": finding(hit, "member", ["id_no"], msg)}, evaluated=len(s))


_OTHER_CACHE: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _active_ids(member: pd.DataFrame) -> pd.DataFrame:
    """Active rows passing R01 of a member table: ``id18``, ``hh_id``, ``person_id`` (cached per table object)."""
    key = id(member)
    hit = _OTHER_CACHE.get(key)
    if hit is not None and hit[0] is member:
        return hit[1]
    id_type = member["id_type"] if "id_type" in member else None
    ok = D.id_form_ok(member["id_no"], id_type) & D.is_active(member)
    sub = member[ok.to_numpy()]
    out = pd.DataFrame({"id18": D.id18(sub["id_no"], sub["id_type"] if id_type is not None else None),
                        "hh_id": sub["hh_id"].astype(object),
                        "person_id": sub["person_id"].astype(object) if "person_id" in sub else None})
    out = out[out["id18"].notna()]
    if len(_OTHER_CACHE) > 32:
        _OTHER_CACHE.clear()
    _OTHER_CACHE[key] = (member, out)
    return out


@rule("R09")
def r09(ctx: RuleContext, p: dict):
    if not ctx.others:
        raise NotRun("本次运行只载入一个县，跨县重复无法比对")
    m = ctx.members
    s = m[(m["active"] & m["id_ok"] & m["id18"].notna()).to_numpy()]
    own = ctx.tables["member"]
    if id(own) not in _OTHER_CACHE:  # this county is an "other" for the next ones: reuse its ID18
        _OTHER_CACHE[id(own)] = (own, pd.DataFrame({"id18": s["id18"].astype(object), "hh_id": s["hh_id"].astype(object),
                                                    "person_id": s["person_id"].astype(object)}))
    frames = []
    for county, other in ctx.others.items():
        if other is None or not {"hh_id", "id_no", "member_status"} <= set(other.columns):
            continue
        o = _active_ids(other)
        o = o[o["id18"].isin(s["id18"])]
        if len(o):
            frames.append(o.assign(_lab=county + " 户编号" + o["hh_id"].fillna("（空）").astype(str) + "/人编号"
                                   + o["person_id"].astype(object).fillna("（空）").astype(str)))
    if not frames:
        return Parts({"": finding(s.iloc[:0], "member", ["id_no"], "")}, evaluated=len(s))
    o = pd.concat(frames, ignore_index=True)
    lists = o.groupby("id18")["_lab"].agg("、".join)
    hit = s[s["id18"].isin(lists.index).to_numpy()]
    msg = "该证件号码在其他县也是正常成员：" + hit["id18"].map(lists).astype(str)
    return Parts({"": finding(hit, "member", ["id_no"], msg)}, evaluated=len(s))
