"""身份信息 (identity): R01–R09. ID numbers per GB 11643; the region code (digits 1–6) is never checked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .. import schema as S
from .build import findings
from .context import RuleContext, member_ids, norm_id
from .engine import NotRun, Parts, mask, q, rule, shown

SEX_OF_DIGIT = {True: "男", False: "女"}


def _type_label(m: pd.DataFrame) -> pd.Series:
    t = m["id_type"].astype(object) if "id_type" in m else pd.Series(None, index=m.index, dtype=object)
    return t.fillna("居民身份证")


def _std_pass(m: pd.DataFrame) -> pd.Series:
    """Passes R01 with 证件类型 ≠ 其他 (the population of R02–R06)."""
    return m["id_std"]


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
    msg[nb] = (
        "证件号码"
        + q(shown(hit, "id_no"))[nb]
        + "不符合"
        + q(t)[nb]
        + "的格式（应为"
        + pd.Series(form, index=hit.index)[nb]
        + "）"
    )
    keys = ["id_type", "id_no"] if "id_type" in m else ["id_no"]
    return Parts({"": findings(ctx, hit, "member", keys, msg)}, evaluated=len(m))


@rule("R02")
def r02(ctx: RuleContext, p: dict):
    m = ctx.members
    scope = m["id_check"].notna().to_numpy()  # passes R01 (not 其他) with an 18-character body
    bad = scope & (m["id_last"] != m["id_check"]).fillna(False).to_numpy(dtype=bool)
    hit = m[bad]
    msg = "证件号码第18位校验码为" + q(hit["id_last"]) + "，按GB 11643应为" + q(hit["id_check"])
    return Parts({"": findings(ctx, hit, "member", ["id_no"], msg)}, evaluated=int(scope.sum()))


@rule("R03")
def r03(ctx: RuleContext, p: dict):
    m = ctx.members
    ref = pd.Timestamp(p["reference_date"])
    age_max = int(p["age_max"])
    std = _std_pass(m).to_numpy(dtype=bool)
    enc = m["id_date"]
    invalid = std & enc.isna().to_numpy()
    future = std & (enc > ref).fillna(False).to_numpy(dtype=bool)
    age = D.age_on(enc, ref)
    old = std & ~future & mask(age > age_max).to_numpy(dtype=bool)
    hit_mask = invalid | future | old
    hit = m[hit_mask]
    y = hit["id_ymd"].astype(str)
    shown_date = y.str[:4] + "-" + y.str[4:6] + "-" + y.str[6:8]
    msg = pd.Series("", index=hit.index, dtype=object)
    inv, fut, ol = invalid[hit_mask], future[hit_mask], old[hit_mask]
    msg[inv] = "证件号码中的出生日期" + shown_date[inv] + "不是有效日期"
    msg[fut] = "证件号码中的出生日期" + shown_date[fut] + "晚于基准日" + ref.strftime("%Y-%m-%d")
    msg[ol] = (
        "证件号码中的出生日期"
        + shown_date[ol]
        + "对应年龄"
        + age[hit_mask][ol].astype(str)
        + "岁，超过"
        + str(age_max)
        + "岁"
    )
    return Parts({"": findings(ctx, hit, "member", ["id_no"], msg)}, evaluated=int(std.sum()))


@rule("R04")
def r04(ctx: RuleContext, p: dict):
    m = ctx.members
    digit = m["id_sex_digit"]
    scope = (_std_pass(m) & m["sex"].notna() & digit.notna()).to_numpy(dtype=bool)
    odd = digit % 2 == 1
    sex = m["sex"].astype(object)
    bad = scope & ((odd & (sex == "女")) | (~odd & (sex == "男"))).fillna(False).to_numpy(dtype=bool)
    hit = m[bad]
    d = hit["id_sex_digit"]
    pos = np.where(hit["id_is15"].to_numpy(dtype=bool), "15", "17")
    implied = np.where(d % 2 == 1, "男", "女")
    msg = (
        "性别为"
        + q(hit["sex"])
        + "，但证件号码第"
        + pd.Series(pos, index=hit.index)
        + "位为"
        + d.astype(int).astype(str)
        + "（"
        + pd.Series(implied, index=hit.index)
        + "）"
    )
    return Parts({"": findings(ctx, hit, "member", ["sex", "id_no"], msg)}, evaluated=int(scope.sum()))


@rule("R05")
def r05(ctx: RuleContext, p: dict):
    m = ctx.members
    bd = m["birth_date"]
    raw = m["birth_date__raw"] if "birth_date__raw" in m else pd.Series(None, index=m.index, dtype=object)
    nonblank = (bd.notna() | raw.notna()).to_numpy(dtype=bool)
    invalid = nonblank & bd.isna().to_numpy()
    differs = (
        nonblank
        & m["id_date_ok"].to_numpy(dtype=bool)
        & (bd != m["id_date"]).fillna(False).to_numpy(bool)
        & bd.notna().to_numpy()
    )
    hit_mask = invalid | differs
    hit = m[hit_mask]
    inv = invalid[hit_mask]
    msg = pd.Series("", index=hit.index, dtype=object)
    msg[inv] = "出生日期" + q(shown(hit, "birth_date"))[inv] + "不是有效日期"
    msg[~inv] = (
        "出生日期为"
        + shown(hit, "birth_date")[~inv]
        + "，但证件号码中的出生日期为"
        + hit["id_date"][~inv].dt.strftime("%Y-%m-%d").astype(object)
    )
    return Parts({"": findings(ctx, hit, "member", ["birth_date", "id_no"], msg)}, evaluated=int(nonblank.sum()))


@rule("R06")
def r06(ctx: RuleContext, p: dict):
    m = ctx.members
    std = _std_pass(m).to_numpy(dtype=bool)
    hit = m[std & m["id_is15"].to_numpy(dtype=bool)]
    msg = "15位身份证号尚未升级为18位，对应的18位号码为" + hit["id18"].astype(str) + "，请核实后更正"
    return Parts({"": findings(ctx, hit, "member", ["id_no"], msg)}, evaluated=int(std.sum()))


@rule("R07")
def r07(ctx: RuleContext, p: dict):
    m = ctx.members
    dn = norm_id(m["disability_no"])
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
        "a": findings(
            ctx,
            ha,
            "member",
            keys,
            "残疾证号"
            + q(shown(ha, "disability_no"))
            + "格式不符（应为18位身份证号+残疾类别1–7+残疾等级1–4，可另带2位后缀）",
        ),
        "b": findings(
            ctx,
            hb,
            "member",
            keys,
            "残疾证号前18位的校验码为" + q(first18[b.to_numpy()].str[17]) + "，按GB 11643应为" + q(cc[b.to_numpy()]),
        ),
        "c": findings(
            ctx,
            hc,
            "member",
            ["disability_no", "id_no"],
            "残疾证号前18位"
            + q(first18[mask(c).to_numpy()])
            + "与本人证件号码（18位）"
            + q(hc["id18"].astype(str))
            + "不一致",
        ),
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
    s = m.loc[
        (m["active"] & m["id_ok"] & m["id18"].notna()).to_numpy(),
        [c for c in ("hh_id", "person_id", "id_no", "id18", S.ROW_COL) if c in m],
    ]
    dup = s["id18"].duplicated(keep=False)
    hit = s[dup.to_numpy()]
    hit = hit.assign(
        _h="户编号" + hit["hh_id"].astype(object).fillna("（空）").astype(str) + "/人编号",
        _p=hit["person_id"].astype(object),
    )
    others = _dup_list(hit, "id18", ["_h", "_p"]) if len(hit) else pd.Series(dtype=object)
    msg = "证件号码在本县正常成员中重复，同号成员：" + others.astype(str)
    return Parts({"": findings(ctx, hit, "member", ["id_no"], msg)}, evaluated=len(s))


def _active_ids(member: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """Active rows passing R01 of another county's member table: ``id18``, ``hh_id``, ``person_id``."""
    ids = member_ids(member, ctx.reference_date, int(ctx.params["age_max"]))
    ok = (ids["id_ok"] & D.is_active(member) & ids["id18"].notna()).to_numpy(dtype=bool)

    def obj(a):
        return pd.Series(a, dtype=object)  # pandas 3 would infer the slow Arrow "str" dtype from object arrays

    return pd.DataFrame(
        {
            "id18": obj(ids.loc[ok, "id18"].to_numpy(dtype=object)),
            "hh_id": obj(member.loc[ok, "hh_id"].to_numpy(dtype=object)),
            "person_id": obj(
                member.loc[ok, "person_id"].to_numpy(dtype=object)
                if "person_id" in member
                else np.full(int(ok.sum()), None, dtype=object)
            ),
        }
    )


@rule("R09")
def r09(ctx: RuleContext, p: dict):
    if not ctx.others:
        raise NotRun("本次运行只载入一个县，跨县重复无法比对")
    m = ctx.members
    s = m.loc[
        (m["active"] & m["id_ok"] & m["id18"].notna()).to_numpy(),
        [c for c in ("hh_id", "person_id", "id_no", "id18", S.ROW_COL) if c in m],
    ]
    frames = []
    for county, other in ctx.others.items():
        if other is None or other.empty or not {"hh_id", "id_no", "member_status"} <= set(other.columns):
            continue  # an empty table has no rows to match
        o = _active_ids(other, ctx)
        o = o[o["id18"].isin(s["id18"])]
        if len(o):
            frames.append(
                o.assign(
                    _lab=county
                    + " 户编号"
                    + o["hh_id"].fillna("（空）").astype(str)
                    + "/人编号"
                    + o["person_id"].astype(object).fillna("（空）").astype(str)
                )
            )
    if not frames:
        return Parts({"": findings(ctx, s.iloc[:0], "member", ["id_no"], "")}, evaluated=len(s))
    o = pd.concat(frames, ignore_index=True)
    lists = o.groupby("id18")["_lab"].agg("、".join)
    hit = s[s["id18"].isin(lists.index).to_numpy()]
    msg = "该证件号码在其他县也是正常成员：" + hit["id18"].map(lists).astype(str)
    return Parts({"": findings(ctx, hit, "member", ["id_no"], msg)}, evaluated=len(s))
