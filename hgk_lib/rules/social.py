"""Rules R45-R51: 社会保障与兜底 (social security and safety net).

This module also holds the small helpers shared by the rule modules of categories 5-9 (``social``, ``needs``,
``dynamic``, ``measures``, ``departments``): values as recorded for messages, yes/no masks that treat blank as
"not 是", household scope without duplicated 户编号, and ID18 matching against department lists. Findings are
built with the one builder of every rule module, :func:`hgk_lib.rules.build.findings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.core.algorithms import isin as _hash_isin

from .. import derive as D
from ..text import isin as in_texts  # col.isin(values).to_numpy(), quick for text
from .build import findings
from .context import RuleContext
from .engine import BLANK_SHOWN, NotRun, Parts, header, rule, shown

# ===============================================================================================================
# shared helpers (categories 5-9)
# ===============================================================================================================
BLANK_TEXT = BLANK_SHOWN
NONE_LABOUR = ["丧失劳动力", "无劳动力"]
FULL_LABOUR = ["普通劳动力", "技能劳动力"]


def as_mask(s: pd.Series) -> pd.Series:
    """Boolean mask with NA -> False."""
    return s.astype(object).fillna(False).astype(bool) if s.dtype == object else s.fillna(False).astype(bool)


def false_like(df: pd.DataFrame) -> pd.Series:
    return pd.Series(False, index=df.index, dtype=bool)


yes = D.flag_yes  # flag = 是 (False for blank, unrecognised or an absent column)
no = D.flag_no  # flag = 否 (False for blank, unrecognised or an absent column)


def isin(df: pd.DataFrame, key: str, values) -> pd.Series:
    """Coded value in ``values`` (False for blank/absent)."""
    if key not in df:
        return false_like(df)
    return pd.Series(in_texts(df[key].astype(object), values), index=df.index, name=key, dtype=bool)


def eq(df: pd.DataFrame, key: str, value) -> pd.Series:
    return isin(df, key, [value])


def blank(df: pd.DataFrame, key: str) -> pd.Series:
    """Blank (NA) or an absent column."""
    if key not in df:
        return pd.Series(True, index=df.index, dtype=bool)
    return df[key].isna().astype(bool)


num = D.numeric
has_health = D.has_health


def health_only(df: pd.DataFrame) -> pd.Series:
    """健康状况 is 健康 only."""
    return eq(df, "health", "健康")


def in_school(df: pd.DataFrame) -> pd.Series:
    """在校生状况 non-blank and ≠ 非在校生 (False when the column is absent)."""
    if "school_status" not in df:
        return false_like(df)
    return D.in_school(df)


def params_list(p: dict, key: str) -> list[str]:
    v = p[key]
    if isinstance(v, (str, int, float)):
        v = [v]
    return [str(x) for x in v]


def recorded(df: pd.DataFrame, key: str) -> pd.Series:
    """The value of ``key`` as recorded (engine's :func:`shown`: typed value, else ``__raw`` text, else （空）)."""
    return shown(df, key)


def txt(s: pd.Series) -> pd.Series:
    """Object strings for message building (NA -> （空）); safe on empty Series of any dtype."""
    return s.astype(object).where(s.notna(), BLANK_TEXT).astype(str).astype(object)


def lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """``keys.map(mapping)`` for a uniquely indexed ``mapping``, keeping its dtype (safe when either is empty)."""
    return pd.Series(mapping.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def join_by(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Distinct ``values`` (as text, first-seen order) joined with 、 per key: ``{key: "a、b"}``."""
    df = pd.DataFrame({"k": keys.to_numpy(), "v": txt(values).to_numpy()}).dropna(subset=["k"]).drop_duplicates()
    if df.empty:
        return pd.Series(dtype=object)
    dup = df["k"].duplicated(keep=False).to_numpy()
    single = pd.Series(df["v"].to_numpy()[~dup], index=df["k"].to_numpy()[~dup], dtype=object)
    if not dup.any():
        return single
    multi = df[dup].groupby("k", sort=False)["v"].agg("、".join)  # only keys with several values
    return pd.concat([single, multi.astype(object)])


def blank_or_raw(df: pd.DataFrame, key: str, label: str, blank_text: str = "为空") -> pd.Series:
    """``<label>为空`` for a blank value, ``<label>无法识别（<raw>）`` for an unrecognised one."""
    raw = recorded(df, key)
    return pd.Series(label + blank_text, index=df.index, dtype=object).where(
        raw == BLANK_TEXT, label + "无法识别（" + raw + "）"
    )


def text(df: pd.DataFrame, key: str) -> pd.Series:
    """Object strings of a column for messages (blank -> 空)."""
    return recorded(df, key)


def household_scope(ctx: RuleContext, *columns: str) -> tuple[pd.DataFrame, int]:
    """Households with a unique 户编号 (R10 duplicates are not evaluated) + the number left out."""
    scope = ctx.hh_scope
    if columns:
        ctx.table("household", *columns)
    return scope


def hh_with(m: pd.DataFrame, mask: pd.Series) -> set:
    """Household ids having at least one row of ``m`` where ``mask`` holds."""
    return set(m.loc[mask, "hh_id"].dropna())


def hh_mask(h: pd.DataFrame, ids) -> pd.Series:
    """Rows of ``h`` whose 户编号 is in ``ids``."""
    return pd.Series(in_texts(h["hh_id"], ids), index=h.index, name="hh_id", dtype=bool)


def active_members(ctx: RuleContext, *columns: str) -> pd.DataFrame:
    """Active members (人员状态 = 正常), after checking the columns exist (NotRun otherwise)."""
    ctx.table("member", *columns)
    return ctx.active_members


def dept_table(ctx: RuleContext, name: str, *columns: str, id_key: str = "id_no") -> pd.DataFrame:
    """A department list + ``_id18`` (NA where the number has no R01 form: never matched) and ``_idc`` (its
    position among the member ID18s, ``ctx.id_vocab``; -1 where no member has it)."""
    t = ctx.table(name, id_key, *columns)
    try:
        codes = ctx.table_id_codes(name, id_key)  # cached per list: several rules read it
    except NotRun:  # no usable member table: the rule says so when it reads the members, as it would anyway
        codes = np.full(len(t), -1, dtype=np.int64)
    return t.assign(_id18=ctx.table_id18(name, id_key).astype(object), _idc=codes)


@dataclass(frozen=True)
class MemberIds:
    """ID18s given by their positions among the member ID18s of the context (``codes`` into ``vocab``, negative
    codes ignored): what :func:`list_ids` takes from a department list for :func:`matched`."""

    codes: np.ndarray
    vocab: pd.Index

    def texts(self) -> np.ndarray:
        return self.vocab.to_numpy(dtype=object)[self.codes[self.codes >= 0]]


def list_ids(ctx: RuleContext, rows: pd.DataFrame, mask=None) -> MemberIds:
    """The ID18s of the rows of a :func:`dept_table` frame (where ``mask`` holds) that some member has."""
    codes = rows["_idc"].to_numpy(dtype=np.int64)
    if mask is not None:
        codes = codes[np.asarray(mask, dtype=bool)]
    return MemberIds(codes, ctx.id_vocab)


def matched(m: pd.DataFrame, ids) -> pd.Series:
    """Member rows whose ID18 is in ``ids`` (rows failing R01 never match; missing values in ``ids`` match
    nothing). ``ids``: texts (a set, list, array, Series or Index) or :class:`MemberIds`, which rows of
    ``ctx.members`` (their ``id_code``) match by position."""
    if isinstance(ids, MemberIds):
        if "id_code" in m:
            present = np.zeros(len(ids.vocab) + 1, dtype=bool)  # the last slot: rows without an ID18
            present[ids.codes[ids.codes >= 0]] = True
            code = m["id_code"].to_numpy(dtype=np.int64)
            hit = present[np.where(code >= 0, code, len(ids.vocab))]
            return pd.Series(hit, index=m.index, name="id18")
        ids = ids.texts()
    if isinstance(ids, (pd.Series, pd.Index)):
        vals = ids.to_numpy(dtype=object)
    else:
        vals = np.array(list(ids), dtype=object)
    col = m["id18"].to_numpy(dtype=object)  # a missing value of ``vals`` could only match a missing ``col``
    hit = _hash_isin(col, vals) & ~pd.isna(col)
    return pd.Series(hit, index=m.index, name="id18")


def exit_status_text(h: pd.DataFrame) -> pd.Series:
    return recorded(h, "exit_status")


def audit_year_measures(ctx: RuleContext, *columns: str) -> pd.DataFrame:
    ms = ctx.table("measure", "hh_id", "year", *columns)
    return ms[as_mask(ms["year"].eq(ctx.audit_year))]


# ===============================================================================================================
# R45-R51
# ===============================================================================================================
DIBAO_TYPES = ["低保贫困户", "低保脱贫户"]
TEKUN_TYPES = ["特困供养贫困户", "特困供养脱贫户"]
GENERAL_TYPES = ["一般贫困户", "一般脱贫户"]


@rule("R45")
def r45(ctx: RuleContext, p: dict) -> Parts:
    """低保/特困标识不一致: 贫困户属性 against the members' 低保/特困 flags."""
    h, n_dup = household_scope(ctx)
    mem = ctx.table("member")
    has_d, has_t = "dibao" in mem, "tekun" in mem
    if not (has_d or has_t):
        raise NotRun("贫困人口信息 缺少列：是否享受低保、是否特困供养人员")
    h = h[h["A"] >= 1]
    am = ctx.active_members
    d_hh = hh_with(am, yes(am, "dibao"))
    t_hh = hh_with(am, yes(am, "tekun"))
    ht = recorded(h, "hh_type")
    parts: dict = {}
    if has_d:
        sub = h[isin(h, "hh_type", DIBAO_TYPES) & ~hh_mask(h, d_hh)]
        parts["a"] = findings(
            ctx,
            sub,
            "household",
            columns="贫困户属性、是否享受低保",
            values=ht[sub.index] + "；无正常成员为是",
            message="贫困户属性为“" + ht[sub.index] + "”，但没有正常成员享受低保",
        )
    else:
        parts["a"] = None
    if has_t:
        sub = h[isin(h, "hh_type", TEKUN_TYPES) & ~hh_mask(h, t_hh)]
        parts["b"] = findings(
            ctx,
            sub,
            "household",
            columns="贫困户属性、是否特困供养人员",
            values=ht[sub.index] + "；无正常成员为是",
            message="贫困户属性为“" + ht[sub.index] + "”，但没有正常成员是特困供养人员",
        )
    else:
        parts["b"] = None
    if has_d and has_t:
        sub = h[isin(h, "hh_type", GENERAL_TYPES) & hh_mask(h, d_hh | t_hh)]
        which = pd.Series("", index=sub.index, dtype=object)
        which = which.where(~hh_mask(sub, d_hh), "享受低保")
        both = hh_mask(sub, d_hh) & hh_mask(sub, t_hh)
        which = which.where(~hh_mask(sub, t_hh), "特困供养")
        which = which.where(~both, "享受低保和特困供养")
        parts["c"] = findings(
            ctx,
            sub,
            "household",
            columns="贫困户属性、是否享受低保、是否特困供养人员",
            values=ht[sub.index] + "；有正常成员为是",
            message="贫困户属性为“" + ht[sub.index] + "”，但有正常成员" + which,
        )
        both_m = am[yes(am, "dibao") & yes(am, "tekun")]
        both_m = both_m[both_m["hh_id"].isin(h["hh_id"])]
        names = both_m["name"].astype(object).fillna(BLANK_TEXT) + "（人编号" + both_m["person_id"].astype(str) + "）"
        names = names.groupby(both_m["hh_id"]).agg("、".join)
        sub = h[h["hh_id"].isin(names.index)]
        who = txt(sub["hh_id"].map(names))
        parts["d"] = findings(
            ctx,
            sub,
            "household",
            columns="是否享受低保、是否特困供养人员",
            values="是；是",
            message="成员" + who + "同时享受低保和特困供养",
        )
    else:
        parts["c"] = None
        parts["d"] = None
    return Parts(parts, evaluated=len(h), not_evaluated=n_dup)


# (amount column, member flag, amount label, flag label)
R46_PAIRS = [
    ("dibao_income", "dibao", "低保金", "享受低保"),
    ("tekun_income", "tekun", "特困供养金", "特困供养人员"),
    ("pension_income", "pension_receiving", "养老保险金", "领取养老金"),
]


def audit_income_rows(ctx: RuleContext, *columns: str) -> tuple[pd.DataFrame, int]:
    """Audit-year income rows of known, unique households, one per household (R32(a)/(b) rows left out)."""
    inc = ctx.table("income", "hh_id", "year", *columns)
    h, _ = household_scope(ctx)
    rows = inc[as_mask(inc["year"].eq(ctx.audit_year))]
    dup = rows["hh_id"].duplicated(keep=False)
    known = as_mask(rows["hh_id"].isin(h["hh_id"]))
    return rows[known & ~dup], int((known & dup).sum())


@rule("R46")
def r46(ctx: RuleContext, p: dict) -> Parts:
    """兜底收入与享受人员不符: 低保金/特困供养金/养老保险金 of the audit year against the members' flags."""
    inc = ctx.table("income")
    mem = ctx.table("member")
    pairs = [pr for pr in R46_PAIRS if pr[0] in inc and pr[1] in mem]
    if not pairs:
        raise NotRun(
            "收入信息/贫困人口信息 缺少列：低保金与是否享受低保、特困供养金与是否特困供养人员、"
            "养老保险金与是否领取养老金（至少一对）"
        )
    rows, n_dup = audit_income_rows(ctx)
    am = ctx.active_members
    a_parts, b_parts = [], []
    for amt, flag, amt_label, flag_label in pairs:  # loop over the three pairs, not over households
        flagged = hh_with(am, yes(am, flag))
        amount = num(rows, amt)
        has_flag = hh_mask(rows, flagged)
        sub = rows[(amount > 0) & ~has_flag]
        a_parts.append(
            findings(
                ctx,
                sub,
                "income",
                columns=f"{amt_label}、{header('member', flag)}",
                values=recorded(sub, amt) + "；无正常成员为是",
                message=f"{ctx.audit_year}年{amt_label}" + recorded(sub, amt) + f"元，但没有正常成员{flag_label}",
            )
        )
        sub = rows[has_flag & ~(amount > 0) & (amount.isna() | (amount == 0))]
        a_label = recorded(sub, amt)
        b_parts.append(
            findings(
                ctx,
                sub,
                "income",
                columns=f"{amt_label}、{header('member', flag)}",
                values=a_label + "；有正常成员为是",
                message=f"有正常成员{flag_label}，但{ctx.audit_year}年{amt_label}为" + a_label,
            )
        )
    return Parts(
        {"a": pd.concat(a_parts, ignore_index=True), "b": pd.concat(b_parts, ignore_index=True)},
        evaluated=len(rows),
        not_evaluated=n_dup,
    )


@rule("R47")
def r47(ctx: RuleContext, p: dict) -> Parts:
    """特困供养人员有劳动能力."""
    am = active_members(ctx)
    scope = am[yes(am, "tekun")]
    known = scope["age"].notna()
    age = scope["age"]
    hit = (
        known
        & as_mask((age >= p["tekun_age_min"]) & (age <= p["tekun_age_max"]))
        & health_only(scope)
        & ~in_school(scope)
        & isin(scope, "labour_skill", FULL_LABOUR)
    )
    sub = scope[hit]
    msg = (
        "特困供养人员"
        + sub["age"].astype(str)
        + "岁、健康、非在校生，劳动技能为“"
        + recorded(sub, "labour_skill")
        + "”"
    )
    df = findings(ctx, sub, "member", keys=["tekun", "health", "labour_skill"], message=msg)
    return Parts({"": df}, evaluated=int(known.sum()), not_evaluated=int((~known).sum()))


def no_labour_households(h: pd.DataFrame, am: pd.DataFrame) -> pd.Series:
    """A ≥ 1 and every active member's 劳动技能 ∈ NONE (blank is not NONE)."""
    not_none = hh_with(am, ~isin(am, "labour_skill", NONE_LABOUR))
    return (h["A"] >= 1) & ~hh_mask(h, not_none)


@rule("R48")
def r48(ctx: RuleContext, p: dict) -> Parts:
    """无劳动能力户未落实兜底."""
    h, n_dup = household_scope(ctx)
    am = ctx.active_members
    covered = hh_with(am, yes(am, "dibao") | yes(am, "tekun"))
    scope = h[no_labour_households(h, am)]
    sub = scope[~hh_mask(scope, covered)]
    msg = "无劳动能力户（正常成员" + sub["A"].astype(str) + "人均为丧失劳动力或无劳动力），没有成员享受低保或特困供养"
    df = findings(
        ctx,
        sub,
        "household",
        columns="劳动技能、是否享受低保、是否特困供养人员",
        values="全部为丧失劳动力/无劳动力；无成员为是",
        message=msg,
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)


@rule("R49")
def r49(ctx: RuleContext, p: dict) -> Parts:
    """60岁以上未领取养老金 (blank counts as not receiving)."""
    am = active_members(ctx)
    known = am["age"].notna()
    hit = known & as_mask(am["age"] >= p["pension_age"]) & ~yes(am, "pension_receiving")
    sub = am[hit]
    msg = f"{p['pension_age']}岁以上（" + sub["age"].astype(str) + "岁）未领取养老金"
    df = findings(ctx, sub, "member", keys=["pension_receiving"], message=msg)
    return Parts({"": df}, evaluated=int(known.sum()), not_evaluated=int((~known).sum()))


@rule("R50")
def r50(ctx: RuleContext, p: dict) -> Parts:
    """重复参加基本医疗保险."""
    am = active_members(ctx)
    sub = am[yes(am, "ins_resident") & yes(am, "ins_employee")]
    df = findings(
        ctx,
        sub,
        "member",
        keys=["ins_resident", "ins_employee"],
        message="同时参加城乡居民基本医疗保险和城镇职工基本医疗保险",
    )
    return Parts({"": df}, evaluated=len(am))


def severe_from_card(m: pd.DataFrame, grades: list[str]) -> pd.Series:
    """A severe grade on the 残疾证号: the number passes R07(a) and character 20 is a severe grade."""
    if "disability_no" not in m:
        return false_like(m)
    card = D.normalise_id(m["disability_no"])
    ok = as_mask(card.str.fullmatch(D.RE_DISABILITY))
    return ok & as_mask(card.str[19].isin(grades))


def lowest_grade(rows: pd.DataFrame) -> pd.Series:
    """The smallest 残疾等级 per ``_id18`` of 残联 rows (all given): ``rows.groupby("_id18")["dis_grade"].min()``,
    taken from the rows sorted by ID18 and grade (pandas' grouped ``min`` of text calls Python per group)."""
    first = rows[["_id18", "dis_grade"]].sort_values(["_id18", "dis_grade"]).drop_duplicates("_id18")
    return pd.Series(
        first["dis_grade"].to_numpy(), index=pd.Index(first["_id18"].to_numpy(), name="_id18"), name="dis_grade"
    )


@rule("R51")
def r51(ctx: RuleContext, p: dict) -> Parts:
    """重度残疾人未享受残疾人补贴 (grade from 残疾证号, or from 残联_残疾人 when present)."""
    mem = ctx.table("member")
    has_card = "disability_no" in mem
    has_list = ctx.has("disability", "id_no", "dis_grade")
    if not (has_card or has_list):
        raise NotRun("缺少 贫困人口信息 残疾证号 列和 残联_残疾人 数据")
    ms = ctx.table("measure")
    grades = params_list(p, "severe_disability_grades")
    am = ctx.active_members
    by_card = severe_from_card(am, grades)
    by_list = false_like(am)
    list_grade = pd.Series(None, index=am.index, dtype=object)
    if has_list:
        dl = dept_table(ctx, "disability", "dis_grade")
        sev = dl[isin(dl, "dis_grade", grades) & dl["_id18"].notna()]
        by_list = matched(am, list_ids(ctx, sev))
        list_grade = lookup(am["id18"].astype(object), lowest_grade(sev)).astype(object)
    severe = by_card | by_list
    ms_y = ms[as_mask(ms["year"].eq(ctx.audit_year)) & isin(ms, "category", ["残疾人补贴"])]
    sub = am[severe & ~as_mask(am["hh_id"].isin(ms_y["hh_id"]))]
    card_grade = D.normalise_id(sub["disability_no"]).str[19] if has_card else pd.Series(None, index=sub.index)
    card_grade = card_grade.astype(object).where(by_card[sub.index], None)
    src = pd.Series("残联数据", index=sub.index, dtype=object).where(~by_card[sub.index], "残疾证号")
    grade = card_grade.fillna(list_grade[sub.index]).astype(object).fillna(BLANK_TEXT)
    msg = "重度残疾（" + src + "残疾等级" + grade + "级），但本户" + str(ctx.audit_year) + "年无残疾人补贴措施"
    df = findings(ctx, sub, "member", columns="残疾等级、措施类别", values=grade + "；无残疾人补贴", message=msg)
    return Parts({"": df}, evaluated=int(severe.sum()))
