"""Rules R62-R71: 动态管理 (自然增减, 补录, 清退) and exit-year/status consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .build import findings
from .context import RuleContext
from .engine import Parts, rule
from .social import (
    as_mask,
    blank,
    blank_or_raw,
    dept_table,
    household_scope,
    isin,
    join_by,
    list_ids,
    lookup,
    matched,
    num,
    recorded,
    txt,
)

REASONS_DECREASE = ["死亡", "嫁出", "迁出", "错误", "其他"]
REASONS_LEAVE = ["死亡", "嫁出", "迁出"]
REASONS_ADD = ["新生儿", "嫁入", "补录"]
GONE_STATUSES = ["自然减少", "清退"]


@rule("R62")
def r62(ctx: RuleContext, p: dict) -> Parts:
    """人员状态与变更原因不符 (all member rows)."""
    m = ctx.members
    a = m[blank(m, "member_status")]
    parts: dict = {
        "a": findings(ctx, a, "member", keys=["member_status"], message=blank_or_raw(a, "member_status", "人员状态"))
    }
    if "change_reason" in m:
        keys = ["member_status", "change_reason"]
        b = m[isin(m, "member_status", ["自然减少"]) & ~isin(m, "change_reason", REASONS_DECREASE)]
        c = m[isin(m, "member_status", ["正常"]) & isin(m, "change_reason", REASONS_LEAVE)]
        d = m[isin(m, "member_status", GONE_STATUSES) & isin(m, "change_reason", REASONS_ADD)]
        parts["b"] = findings(
            ctx,
            b,
            "member",
            keys=keys,
            message="人员状态为自然减少，但变更原因为“"
            + recorded(b, "change_reason")
            + "”（应为死亡、嫁出、迁出、错误或其他）",
        )
        parts["c"] = findings(
            ctx, c, "member", keys=keys, message="人员状态为正常，但变更原因为“" + recorded(c, "change_reason") + "”"
        )
        parts["d"] = findings(
            ctx,
            d,
            "member",
            keys=keys,
            message="人员状态为"
            + recorded(d, "member_status")
            + "，但变更原因为“"
            + recorded(d, "change_reason")
            + "”",
        )
    else:
        parts.update(b=None, c=None, d=None)
    return Parts(parts, evaluated=len(m))


@rule("R63")
def r63(ctx: RuleContext, p: dict) -> Parts:
    """变更日期缺失或不合理 (all member rows)."""
    m = ctx.members
    ref = ctx.reference_date
    cd = m["change_date"]
    has_reason = "change_reason" in m
    keys_a = ["member_status"] + (["change_reason"] if has_reason else []) + ["change_date"]
    need = isin(m, "member_status", GONE_STATUSES) | (~blank(m, "change_reason") if has_reason else False)
    a = m[need & cd.isna()]
    parts: dict = {
        "a": findings(
            ctx,
            a,
            "member",
            keys=keys_a,
            message="人员状态为"
            + recorded(a, "member_status")
            + ("、变更原因为" + recorded(a, "change_reason") if has_reason else "")
            + "，但"
            + blank_or_raw(a, "change_date", "变更日期"),
        )
    }
    b = m[as_mask(cd > ref)]
    parts["b"] = findings(
        ctx,
        b,
        "member",
        keys=["change_date"],
        message="变更日期" + recorded(b, "change_date") + "晚于核查基准日" + ref.strftime("%Y-%m-%d"),
    )
    c = m[as_mask(cd < m["birth"])]
    parts["c"] = findings(
        ctx,
        c,
        "member",
        keys=["change_date"],
        message="变更日期" + recorded(c, "change_date") + "早于出生日期" + c["birth"].dt.strftime("%Y-%m-%d"),
    )
    if has_reason:
        days = (cd - m["birth"]).dt.days
        d = m[isin(m, "change_reason", ["新生儿"]) & as_mask(days > p["newborn_max_days"])]
        parts["d"] = findings(
            ctx,
            d,
            "member",
            keys=["change_reason", "change_date"],
            message="变更原因为新生儿，但变更日期"
            + recorded(d, "change_date")
            + "距出生日期"
            + d["birth"].dt.strftime("%Y-%m-%d")
            + "已"
            + days[d.index].astype("Int64").astype(str)
            + f"天（超过{p['newborn_max_days']}天）",
        )
    else:
        parts["d"] = None
    if has_reason and ctx.has("household", "hh_id", "first_year"):
        h, _ = household_scope(ctx)
        first = lookup(m["hh_id"], h.set_index("hh_id")["first_year"].astype(float))
        start = pd.to_datetime(first.astype("Int64").astype("string") + "-01-01", errors="coerce")
        e = m[isin(m, "change_reason", REASONS_ADD) & as_mask(cd < start)]
        parts["e"] = findings(
            ctx,
            e,
            "member",
            keys=["change_reason", "change_date"],
            message="变更原因为"
            + recorded(e, "change_reason")
            + "，但变更日期"
            + recorded(e, "change_date")
            + "早于本户首次识别年度"
            + txt(first[e.index].astype("Int64"))
            + "年",
        )
    else:
        parts["e"] = None
    return Parts(parts, evaluated=len(m))


def police_rows(ctx: RuleContext, *columns: str) -> pd.DataFrame:
    return dept_table(ctx, "police", "hukou_status", *columns)


@rule("R64")
def r64(ctx: RuleContext, p: dict) -> Parts:
    """公安登记死亡仍为正常."""
    pol = police_rows(ctx)
    am = ctx.active_members
    dead = pol[isin(pol, "hukou_status", ["死亡"]) & pol["_id18"].notna()]
    sub = am[matched(am, list_ids(ctx, dead))]
    if "change_date" in dead:
        when = pd.to_datetime(lookup(sub["id18"], dead.groupby("_id18")["change_date"].max()))
        when_txt = when.dt.strftime("%Y-%m-%d").fillna("空")
    else:
        when_txt = pd.Series("空", index=sub.index, dtype=object)
    df = findings(
        ctx,
        sub,
        "member",
        columns="人员状态、户籍状态",
        values="正常；死亡",
        message="公安户籍登记死亡（变动日期" + when_txt + "），人员状态仍为正常；应标注自然减少（死亡）",
    )
    return Parts({"": df}, evaluated=len(am))


def last_per_id(order: pd.DataFrame) -> pd.DataFrame:
    """Per ``_id18``, the row last by (``_d``, ``_out``) (ties: the last of them in ``order``):
    ``order.sort_values(["_id18", "_d", "_out"]).drop_duplicates("_id18", keep="last")`` up to the order of the
    IDs, sorting integer ID codes instead of the ID texts."""
    code = pd.factorize(order["_id18"].to_numpy(dtype=object))[0]
    idx = np.lexsort((order["_out"].to_numpy(), order["_d"].to_numpy(), code))
    last = ~pd.Series(code[idx]).duplicated(keep="last").to_numpy()
    return order.iloc[idx[last]]


@rule("R65")
def r65(ctx: RuleContext, p: dict) -> Parts:
    """公安登记迁出仍为正常: the latest 公安 row (by 变动日期; blank earliest; 迁出 wins a tie) is 迁出."""
    pol = police_rows(ctx)
    pol = pol[pol["_id18"].notna()]
    am = ctx.active_members
    dead_ids = list_ids(ctx, pol, isin(pol, "hukou_status", ["死亡"]))
    date = pol["change_date"] if "change_date" in pol else pd.Series(pd.NaT, index=pol.index)
    order = pol.assign(_d=date.fillna(pd.Timestamp.min), _out=isin(pol, "hukou_status", ["迁出"]).astype(int))
    latest = last_per_id(order)
    out_ids = list_ids(ctx, latest, latest["_out"] == 1)
    sub = am[matched(am, out_ids) & ~matched(am, dead_ids)]
    when = pd.to_datetime(lookup(sub["id18"], latest.set_index("_id18")["_d"]))
    when_txt = when.where(when > pd.Timestamp.min).dt.strftime("%Y-%m-%d").fillna("空")
    df = findings(
        ctx,
        sub,
        "member",
        columns="人员状态、户籍状态",
        values="正常；迁出",
        message="公安户籍最新记录为迁出（变动日期" + when_txt + "），人员状态仍为正常；请核实是否自然减少（迁出）",
    )
    return Parts({"": df}, evaluated=len(am))


def _norm_name(s: pd.Series) -> pd.Series:
    out = s.astype(object).astype("string").str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    return out.astype(object).where(out.notna(), None)


def norm_names(*names: pd.Series) -> list[pd.Series]:
    """:func:`_norm_name` of each Series, each distinct name normalised once (the 公安 list repeats the members'
    names). Only when every value is text (or missing): other values go through :func:`_norm_name` as they are."""
    vals = [n.to_numpy(dtype=object) for n in names]
    allv = np.concatenate(vals) if vals else np.array([], dtype=object)
    if pd.api.types.infer_dtype(allv, skipna=True) not in ("string", "empty"):
        return [_norm_name(n) for n in names]
    codes, uniques = pd.factorize(allv)
    normed = _norm_name(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    out = np.where(codes >= 0, normed[np.maximum(codes, 0)] if len(normed) else None, None)
    pieces, start = [], 0
    for n, v in zip(names, vals):  # one slice per Series
        pieces.append(pd.Series(out[start : start + len(v)], index=n.index, dtype=object, name=n.name))
        start += len(v)
    return pieces


def same_name_codes(scope: pd.DataFrame, pol: pd.DataFrame) -> np.ndarray:
    """Member ID18 codes (``id_code``) of the ``scope`` rows whose normalised name (``_name``) is the name of a 公安
    row with the same ID18 (``_idc``): the (ID18, name) pairs of both sides matched as integer pairs."""
    names = pd.factorize(np.concatenate([scope["_name"].to_numpy(dtype=object), pol["_name"].to_numpy(dtype=object)]))[
        0
    ]
    width = int(names.max()) + 2 if len(names) else 1
    mine = scope["id_code"].to_numpy(dtype=np.int64) * width + names[: len(scope)]
    theirs = pol["_idc"].to_numpy(dtype=np.int64) * width + names[len(scope) :]
    both = np.isin(mine, theirs[pol["_idc"].to_numpy() >= 0])
    return np.unique(scope["id_code"].to_numpy()[both])


@rule("R66")
def r66(ctx: RuleContext, p: dict) -> Parts:
    """姓名与公安户籍不符 (names compared without whitespace, full-width made half-width)."""
    pol = police_rows(ctx)
    am = ctx.active_members
    pol_name, am_name = norm_names(pol["name"], am["name"])
    pol = pol.assign(_name=pol_name)
    pol = pol[pol["_id18"].notna() & pol["_name"].notna() & (pol["_name"] != "")]
    mn = am.assign(_name=am_name)
    scope = mn[matched(mn, list_ids(ctx, pol)) & mn["_name"].notna()]
    sub = scope[~np.isin(scope["id_code"].to_numpy(), same_name_codes(scope, pol))]
    pol_sub = pol[pol["_id18"].isin(sub["id18"])]
    police_names = join_by(pol_sub["_id18"], pol_sub["name"])
    pn = txt(sub["id18"].map(police_names))
    df = findings(
        ctx,
        sub,
        "member",
        columns="姓名",
        values=recorded(sub, "name"),
        message="姓名“" + recorded(sub, "name") + "”与公安户籍姓名“" + pn + "”不符",
    )
    return Parts({"": df}, evaluated=len(scope))


def property_rows(ctx: RuleContext) -> pd.DataFrame:
    t = dept_table(ctx, "property", "match_type")
    return t[t["_id18"].notna()]


@rule("R67")
def r67(ctx: RuleContext, p: dict) -> Parts:
    """财政供养人员（清退候选）."""
    pr = property_rows(ctx)
    am = ctx.active_members
    sub = am[matched(am, list_ids(ctx, pr, isin(pr, "match_type", ["财政供养人员"])))]
    df = findings(
        ctx,
        sub,
        "member",
        columns="比对类型",
        values="财政供养人员",
        message="比对为财政供养人员，本户为清退候选，须核实",
    )
    return Parts({"": df}, evaluated=len(am))


PROPERTY_TYPES = ["名下车辆", "名下商品房", "工商注册"]


@rule("R68")
def r68(ctx: RuleContext, p: dict) -> Parts:
    """名下有车辆、商品房或工商注册 (one finding per person, listing every type found)."""
    pr = property_rows(ctx)
    am = ctx.active_members
    hits = pr[isin(pr, "match_type", PROPERTY_TYPES)]
    order = {t: i for i, t in enumerate(PROPERTY_TYPES)}
    hits = hits.assign(_o=hits["match_type"].map(order)).sort_values("_o").drop_duplicates(["_id18", "match_type"])
    types = hits.groupby("_id18")["match_type"].agg("、".join)
    sub = am[matched(am, types.index)]
    t = txt(sub["id18"].map(types))
    df = findings(
        ctx,
        sub,
        "member",
        columns="比对类型",
        values=t,
        message="比对发现" + t + "，须对照识别排除条件核实后再决定是否清退",
    )
    return Parts({"": df}, evaluated=len(am))


@rule("R69")
def r69(ctx: RuleContext, p: dict) -> Parts:
    """清退户仍有帮扶措施: every member row 清退, a measure year after the latest 变更日期's year."""
    m = ctx.members
    ms = ctx.table("measure")
    h, n_dup = household_scope(ctx)
    not_out = set(m.loc[~isin(m, "member_status", ["清退"]), "hh_id"].dropna())
    mm = m[m["hh_id"].isin(h["hh_id"]) & ~m["hh_id"].isin(not_out)]
    last = mm.groupby("hh_id")["change_date"].max().dropna()
    scope = h[h["hh_id"].isin(last.index)]
    last_year = lookup(scope["hh_id"], last.dt.year.astype(float))
    max_year = lookup(scope["hh_id"], ms.groupby("hh_id")["year"].max().astype(float))
    hit = as_mask(max_year > last_year)
    sub = scope[hit]
    years = ms[ms["hh_id"].isin(sub["hh_id"])].assign(_ly=lambda x: lookup(x["hh_id"], last.dt.year.astype(float)))
    years = years[as_mask(years["year"] > years["_ly"])]
    years = years.sort_values("year")
    ylist = join_by(years["hh_id"], years["year"].astype("Int64"))
    lt = txt(lookup(sub["hh_id"], last.dt.strftime("%Y-%m-%d")))
    yl = txt(sub["hh_id"].map(ylist))
    df = findings(
        ctx,
        sub,
        "household",
        columns="人员状态、变更日期、年度",
        values="全部清退；" + lt + "；" + yl,
        message="全户成员已清退（最近变更日期" + lt + "），但仍有" + yl + "年度的帮扶措施",
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)


EXITED = S.EXITED


@rule("R70")
def r70(ctx: RuleContext, p: dict) -> Parts:
    """脱贫年度与识别年度、脱贫状态矛盾."""
    h, n_dup = household_scope(ctx)
    ay = ctx.audit_year
    fy = num(h, "first_year")
    parts: dict = {}
    if "exit_year" in h:
        ey = num(h, "exit_year")
        keys = ["exit_status", "exit_year"]
        a = h[isin(h, "exit_status", EXITED) & ey.isna()]
        b = h[isin(h, "exit_status", ["未脱贫"]) & ey.notna()]
        c = h[as_mask(ey < fy)]
        parts["a"] = findings(
            ctx, a, "household", keys=keys, message="脱贫状态为" + recorded(a, "exit_status") + "，但脱贫年度为空"
        )
        parts["b"] = findings(
            ctx, b, "household", keys=keys, message="脱贫状态为未脱贫，但脱贫年度为" + recorded(b, "exit_year")
        )
        parts["c"] = findings(
            ctx,
            c,
            "household",
            keys=["exit_year", "first_year"],
            message="脱贫年度" + recorded(c, "exit_year") + "早于首次识别年度" + recorded(c, "first_year"),
        )
        d_mask = as_mask(ey > ay) | as_mask(fy > ay)
        d_keys = ["exit_year", "first_year"]
    else:
        parts.update(a=None, b=None, c=None)
        d_mask = as_mask(fy > ay)
        d_keys = ["first_year"]
    d = h[d_mask]
    parts["d"] = findings(
        ctx,
        d,
        "household",
        keys=d_keys,
        message=("脱贫年度" + recorded(d, "exit_year") + "、" if "exit_year" in h else "")
        + "首次识别年度"
        + recorded(d, "first_year")
        + f"，晚于核查年度{ay}",
    )
    e = h[as_mask(fy < p["first_identification_year_min"])]
    parts["e"] = findings(
        ctx,
        e,
        "household",
        keys=["first_year"],
        message="首次识别年度"
        + recorded(e, "first_year")
        + f"早于{p['first_identification_year_min']}年（建档立卡始于{p['first_identification_year_min']}年）",
    )
    return Parts(parts, evaluated=len(h), not_evaluated=n_dup)


@rule("R71")
def r71(ctx: RuleContext, p: dict) -> Parts:
    """贫困户属性与脱贫状态不符."""
    h, n_dup = household_scope(ctx)
    keys = ["hh_type", "exit_status"]
    a = h[isin(h, "hh_type", S.HH_TYPES_EXITED) & isin(h, "exit_status", ["未脱贫", "返贫"])]
    b = h[isin(h, "hh_type", S.HH_TYPES_NOT_EXITED) & isin(h, "exit_status", EXITED)]
    return Parts(
        {
            "a": findings(
                ctx,
                a,
                "household",
                keys=keys,
                message="贫困户属性为" + recorded(a, "hh_type") + "，但脱贫状态为" + recorded(a, "exit_status"),
            ),
            "b": findings(
                ctx,
                b,
                "household",
                keys=keys,
                message="贫困户属性为" + recorded(b, "hh_type") + "，但脱贫状态为" + recorded(b, "exit_status"),
            ),
        },
        evaluated=len(h),
        not_evaluated=n_dup,
    )
