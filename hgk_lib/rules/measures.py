"""Rules R72-R87: 帮扶措施与项目库 (measures and the county project library, helpers and visits)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .build import findings
from .context import RuleContext
from .engine import NotRun, Parts, rule
from .social import (
    FULL_LABOUR,
    as_mask,
    blank,
    has_health,
    header,
    hh_mask,
    hh_with,
    household_scope,
    in_school,
    isin,
    join_by,
    no_labour_households,
    num,
    params_list,
    recorded,
    txt,
    yes,
)

STAGE_LABELS = {"R73": "脱贫前", "R74": "脱贫当年", "R75": "巩固提升"}


def measure_table(ctx: RuleContext, *columns: str) -> pd.DataFrame:
    return ctx.table("measure", "hh_id", "year", *columns)


def start_year(h: pd.DataFrame, first: int) -> pd.Series:
    """S = max(measure_first_year, 首次识别年度); a blank 首次识别年度 gives the first year."""
    fy = num(h, "first_year")
    return fy.where(fy > first, first).fillna(first).astype(int)


def household_years(h: pd.DataFrame, lo: pd.Series, hi: pd.Series, y_min: int, y_max: int) -> pd.DataFrame:
    """One row per (household row, year y) with lo ≤ y ≤ hi, for years in [y_min, y_max] (a cross join):
    ``_pos`` (the row's position in ``h``) and ``year``, household after household, years ascending."""
    years = np.arange(y_min, y_max + 1, dtype=np.int64)
    k = len(years)
    year = np.tile(years, len(h))
    low = np.repeat(pd.to_numeric(lo).to_numpy(dtype=float, na_value=np.nan), k)
    high = np.repeat(pd.to_numeric(hi).to_numpy(dtype=float, na_value=np.nan), k)
    keep = (low <= year) & (year <= high)
    return pd.DataFrame({"_pos": np.repeat(np.arange(len(h)), k)[keep], "year": year[keep]})


def without_measure(h: pd.DataFrame, grid: pd.DataFrame, ms: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``h`` at the (``_pos``, ``year``) pairs of ``grid`` whose household has no measure of that
    year, with ``year`` set, in the order of ``grid`` (labelled by their grid positions)."""
    year = grid["year"].to_numpy(dtype=np.int64)
    pos = grid["_pos"].to_numpy(dtype=np.int64)
    missing = np.ones(len(grid), dtype=bool)
    if len(grid):
        y_min, y_max = int(year.min()), int(year.max())
        have = ms[["hh_id", "year"]].dropna()
        have_year = have["year"].to_numpy(dtype=np.int64)
        inside = (have_year >= y_min) & (have_year <= y_max)
        have_hh = have["hh_id"].to_numpy(dtype=object)[inside]
        codes = pd.factorize(np.concatenate([have_hh, h["hh_id"].to_numpy(dtype=object)[pos]]))[0]
        span = y_max - y_min + 1
        have_key = codes[: len(have_hh)] * span + (have_year[inside] - y_min)
        code = codes[len(have_hh) :]
        key = np.where(code >= 0, code * span + (year - y_min), -1)
        missing = ~np.isin(key, have_key)
    out = h.take(pos[missing]).assign(year=year[missing])
    out.index = pd.RangeIndex(len(grid))[missing]  # the grid row of each finding: one label per household year
    return out


def year_findings(ctx: RuleContext, g: pd.DataFrame, message: pd.Series) -> pd.DataFrame:
    return findings(
        ctx, g, "household", columns="年度、措施类别", values=g["year"].astype(str) + "；无措施", message=message
    )


@rule("R72")
def r72(ctx: RuleContext, p: dict) -> Parts:
    """措施关联的户或项目不存在."""
    ms = measure_table(ctx)
    hh = ctx.table("household")
    a = ms[~as_mask(ms["hh_id"].isin(hh["hh_id"].dropna()))]
    parts: dict = {
        "a": findings(ctx, a, "measure", keys=["hh_id"], message="户编号" + recorded(a, "hh_id") + "不在贫困户信息中")
    }
    if "project_id" in ms:
        proj = ctx.table("project", "project_id")
        b = ms[ms["project_id"].notna() & ~as_mask(ms["project_id"].isin(proj["project_id"].dropna()))]
        parts["b"] = findings(
            ctx, b, "measure", keys=["project_id"], message="项目编号" + recorded(b, "project_id") + "不在本县项目库中"
        )
    else:
        parts["b"] = None
    return Parts(parts, evaluated=len(ms))


@rule("R73")
def r73(ctx: RuleContext, p: dict) -> Parts:
    """脱贫前年度无帮扶措施: one finding per missing year in [S, L]."""
    h, n_dup = household_scope(ctx)
    ms = measure_table(ctx)
    ay, first = ctx.audit_year, int(p["measure_first_year"])
    exited = isin(h, "exit_status", S.EXITED)
    ey = num(h, "exit_year")
    open_ = isin(h, "exit_status", ["未脱贫", "返贫"])
    last = pd.Series(float("nan"), index=h.index)
    last = last.where(~(exited & ey.notna()), ey - 1).where(~open_, ay)
    last = last.where(~(last > ay), ay)  # an exit year after the audit year (R70) is checked up to the audit year
    scope = h[last.notna()]
    grid = household_years(scope, start_year(scope, first), last[scope.index], first, ay)
    g = without_measure(scope, grid, ms)
    msg = g["year"].astype(str) + "年（脱贫前）无帮扶措施"
    not_eval = int((exited & ey.isna()).sum()) + n_dup
    return Parts({"": year_findings(ctx, g, msg)}, evaluated=len(scope), not_evaluated=not_eval)


@rule("R74")
def r74(ctx: RuleContext, p: dict) -> Parts:
    """脱贫当年无已完成措施."""
    h, n_dup = household_scope(ctx)
    ms = measure_table(ctx)
    ay, first = ctx.audit_year, int(p["measure_first_year"])
    ey = num(h, "exit_year")
    scope = h[isin(h, "exit_status", S.EXITED) & as_mask((ey >= first) & (ey <= ay))]
    done = ms.loc[isin(ms, "status", ["已完成"]), ["hh_id", "year"]].dropna()
    grid = pd.DataFrame({"_pos": np.arange(len(scope)), "year": num(scope, "exit_year").astype(int).to_numpy()})
    g = without_measure(scope, grid, done)
    msg = "脱贫当年（" + g["year"].astype(str) + "年）无已完成的帮扶措施"
    df = findings(
        ctx, g, "household", columns="年度、实施状态", values=g["year"].astype(str) + "；无已完成", message=msg
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)


@rule("R75")
def r75(ctx: RuleContext, p: dict) -> Parts:
    """脱贫后享受政策年度无措施: one finding per missing year in [max(E + 1, S), audit_year]."""
    h, n_dup = household_scope(ctx)
    ms = measure_table(ctx)
    ay, first = ctx.audit_year, int(p["measure_first_year"])
    ey = num(h, "exit_year")
    scope = h[isin(h, "exit_status", ["已脱贫（享受政策）"]) & ey.notna()]
    s = start_year(scope, first)
    e1 = num(scope, "exit_year") + 1
    lo = e1.where(e1 > s, s)
    grid = household_years(scope, lo, pd.Series(ay, index=scope.index), first, ay)
    g = without_measure(scope, grid, ms)
    msg = g["year"].astype(str) + "年（脱贫后享受政策）无帮扶措施"
    return Parts({"": year_findings(ctx, g, msg)}, evaluated=len(scope), not_evaluated=n_dup)


def labour_capable_households(h: pd.DataFrame, am: pd.DataFrame, p: dict) -> pd.Series:
    """Labour class 有劳动能力 (audit_standards.md): a member aged [working_age_min, labour_old_age) with FULL."""
    age = am["age"]
    cap = isin(am, "labour_skill", FULL_LABOUR) & as_mask((age >= p["working_age_min"]) & (age < p["labour_old_age"]))
    return hh_mask(h, hh_with(am, cap))


@rule("R76")
def r76(ctx: RuleContext, p: dict) -> Parts:
    """措施与劳动能力不匹配."""
    h, n_dup = household_scope(ctx)
    ms = measure_table(ctx)
    am = ctx.active_members
    ay, first = ctx.audit_year, int(p["measure_first_year"])
    labour = params_list(p, "labour_measures")
    dev = params_list(p, "developmental_measures")
    # (a)
    nl = h[no_labour_households(h, am)]
    mya = ms[as_mask(ms["year"].eq(ay)) & isin(ms, "category", labour)]
    cats = join_by(mya["hh_id"], mya["category"])
    a = nl[nl["hh_id"].isin(cats.index)]
    ca = txt(a["hh_id"].map(cats))
    fa = findings(
        ctx,
        a,
        "household",
        columns="劳动技能、措施类别",
        values="全部为丧失劳动力/无劳动力；" + ca,
        message=f"无劳动能力户，{ay}年却安排了" + ca + "措施",
    )
    # (b)
    cap = h[labour_capable_households(h, am, p)]
    s = dict(zip(cap["hh_id"], start_year(cap, first)))
    mw = ms[[c for c in ("hh_id", "year", "category") if c in ms]].assign(_s=ms["hh_id"].map(s))
    mw = mw[as_mask((mw["year"] >= mw["_s"]) & (mw["year"] <= ay))]
    with_any = set(mw["hh_id"])
    with_dev = set(mw.loc[isin(mw, "category", dev), "hh_id"])
    b = cap[hh_mask(cap, with_any) & ~hh_mask(cap, with_dev)]
    fb = findings(
        ctx,
        b,
        "household",
        columns="劳动技能、措施类别",
        values="有劳动能力；无发展类措施",
        message=f"有劳动能力户，{first}年至{ay}年（自首次识别起）的帮扶措施中没有产业、就业、金融、技能培训等发展类措施",
    )
    return Parts({"a": fa, "b": fb}, evaluated=len(h), not_evaluated=n_dup)


@rule("R77")
def r77(ctx: RuleContext, p: dict) -> Parts:
    """措施与家庭情况不符 (measures of the audit year)."""
    ms = measure_table(ctx)
    mem = ctx.table("member")
    h, _ = household_scope(ctx)
    am = ctx.active_members
    my = ms[as_mask(ms["year"].eq(ctx.audit_year)) & as_mask(ms["hh_id"].isin(h["hh_id"]))]
    checks = [
        ("a", "教育帮扶", "school_status", in_school, "没有正常成员在校"),
        ("b", "残疾人补贴", "health", lambda d: has_health(d, "残疾"), "没有正常成员健康状况为残疾"),
        ("c", "低保兜底", "dibao", lambda d: yes(d, "dibao"), "没有正常成员享受低保"),
        ("d", "特困供养", "tekun", lambda d: yes(d, "tekun"), "没有正常成员是特困供养人员"),
    ]
    parts: dict = {}
    for letter, cat, col, cond, text in checks:  # loop over four parts
        if col not in mem:
            parts[letter] = None
            continue
        ok = hh_with(am, cond(am))
        sub = my[isin(my, "category", [cat]) & ~hh_mask(my, ok)]
        parts[letter] = findings(
            ctx,
            sub,
            "measure",
            columns=f"措施类别、{header('member', col)}",
            values=cat + "；无相符成员",
            message=f"{ctx.audit_year}年有{cat}措施，但{text}",
        )
    return Parts(parts, evaluated=len(my))


@rule("R78")
def r78(ctx: RuleContext, p: dict) -> Parts:
    """致贫原因无对应措施 (years [S, audit_year])."""
    h, n_dup = household_scope(ctx)
    ms = measure_table(ctx)
    ay, first = ctx.audit_year, int(p["measure_first_year"])
    cmap = {
        str(k): [str(v) for v in (vs if isinstance(vs, (list, tuple)) else [vs])]
        for k, vs in p["cause_measure_map"].items()
    }
    scope = h[isin(h, "main_cause", list(cmap))]
    pairs = pd.DataFrame([(k, v) for k, vs in cmap.items() for v in vs], columns=["main_cause", "category"])
    s = dict(zip(scope["hh_id"], start_year(scope, first)))
    mw = ms[["hh_id", "year", "category"]].assign(_s=ms["hh_id"].map(s))
    mw = mw[as_mask((mw["year"] >= mw["_s"]) & (mw["year"] <= ay))]
    mw = mw.merge(scope[["hh_id", "main_cause"]], on="hh_id").merge(pairs, on=["main_cause", "category"])
    sub = scope[~scope["hh_id"].isin(mw["hh_id"])]
    wanted = txt(sub["main_cause"].map({k: "或".join(v) for k, v in cmap.items()}))
    df = findings(
        ctx,
        sub,
        "household",
        columns="主要致贫原因、措施类别",
        values=recorded(sub, "main_cause") + "；无" + wanted,
        message="主要致贫原因为"
        + recorded(sub, "main_cause")
        + "，但"
        + start_year(sub, first).astype(str)
        + f"年至{ay}年无"
        + wanted
        + "措施",
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)


@rule("R79")
def r79(ctx: RuleContext, p: dict) -> Parts:
    """措施日期或金额矛盾."""
    ms = measure_table(ctx)
    ref, ay = ctx.reference_date, ctx.audit_year
    parts: dict = {"a": None, "b": None, "c": None}
    if "start_date" in ms and "end_date" in ms:
        a = ms[as_mask(ms["end_date"] < ms["start_date"])]
        parts["a"] = findings(
            ctx,
            a,
            "measure",
            keys=["start_date", "end_date"],
            message="完成日期" + recorded(a, "end_date") + "早于开始日期" + recorded(a, "start_date"),
        )
    if "status" in ms and "end_date" in ms:
        b = ms[isin(ms, "status", ["已完成"]) & as_mask(ms["end_date"] > ref)]
        parts["b"] = findings(
            ctx,
            b,
            "measure",
            keys=["status", "end_date"],
            message="实施状态为已完成，但完成日期"
            + recorded(b, "end_date")
            + "晚于核查基准日"
            + ref.strftime("%Y-%m-%d"),
        )
    if "amount" in ms:
        c = ms[as_mask(num(ms, "amount") < 0)]
        parts["c"] = findings(
            ctx, c, "measure", keys=["amount"], message="投入金额为负数（" + recorded(c, "amount") + "元）"
        )
    h, _ = household_scope(ctx)
    fy = ms["hh_id"].map(h.set_index("hh_id")["first_year"]) if "first_year" in h else pd.Series(pd.NA, index=ms.index)
    yr = num(ms, "year")
    fy = pd.to_numeric(fy, errors="coerce").astype(float)
    late = as_mask(yr > ay)
    early = as_mask(yr < fy)
    d = ms[late | early]
    why = pd.Series(f"晚于核查年度{ay}", index=d.index, dtype=object).where(
        late[d.index], "早于本户首次识别年度" + fy[d.index].astype("Int64").astype(str)
    )
    parts["d"] = findings(ctx, d, "measure", keys=["year"], message="措施年度" + recorded(d, "year") + why)
    return Parts(parts, evaluated=len(ms))


def project_table(ctx: RuleContext, *columns: str) -> pd.DataFrame:
    return ctx.table("project", "project_id", *columns)


def duplicated_projects(pj: pd.DataFrame) -> pd.Series:
    return as_mask(pj["project_id"].duplicated(keep=False) & pj["project_id"].notna())


@rule("R80")
def r80(ctx: RuleContext, p: dict) -> Parts:
    """项目编号重复."""
    pj = project_table(ctx)
    sub = pj[duplicated_projects(pj)]
    n = sub["project_id"].map(sub["project_id"].value_counts())
    df = findings(
        ctx,
        sub,
        "project",
        keys=["project_id"],
        message="项目编号" + recorded(sub, "project_id") + "在项目库中出现" + n.astype(str) + "次",
    )
    return Parts({"": df}, evaluated=int(pj["project_id"].notna().sum()))


R81_REQUIRED = ["name", "category", "to_household", "year"]
R81_OPTIONAL = ["township", "planned_invest_wan", "fund_source", "implementer", "performance_goal", "status"]


@rule("R81")
def r81(ctx: RuleContext, p: dict) -> Parts:
    """项目要素缺失 (one finding per project, listing the columns)."""
    pj = project_table(ctx)
    cols = [c for c in R81_REQUIRED if c in pj] + [c for c in R81_OPTIONAL if c in pj]
    miss = pd.concat({c: blank(pj, c) for c in cols}, axis=1)
    sub = pj[miss.any(axis=1)]
    names = pd.Series("", index=sub.index, dtype=object)
    vals = pd.Series("", index=sub.index, dtype=object)
    for c in cols:  # loop over columns
        hit = miss.loc[sub.index, c]
        names = names + pd.Series(header("project", c) + "、", index=sub.index).where(hit, "")
        vals = vals + (recorded(sub, c) + "；").where(hit, "")
    names, vals = names.str.rstrip("、"), vals.str.rstrip("；")
    df = findings(ctx, sub, "project", columns=names, values=vals, message="项目要素缺失：" + names)
    return Parts({"": df}, evaluated=len(pj))


@rule("R82")
def r82(ctx: RuleContext, p: dict) -> Parts:
    """到户到人项目缺少受益对象数."""
    pj = project_table(ctx)
    if "beneficiary_hh" not in pj and "beneficiary_people" not in pj:
        raise NotRun("项目库 缺少列：受益贫困户数、受益贫困人口数")
    scope = pj[yes(pj, "to_household")]
    bh, bp = num(scope, "beneficiary_hh"), num(scope, "beneficiary_people")
    parts: dict = {"a": None, "b": None, "c": None}
    if "beneficiary_hh" in pj:
        a = scope[bh.isna() | (bh <= 0)]
        parts["a"] = findings(
            ctx,
            a,
            "project",
            keys=["beneficiary_hh"],
            message="到户到人项目，受益贫困户数为" + recorded(a, "beneficiary_hh"),
        )
    if "beneficiary_people" in pj:
        b = scope[bp.isna() | (bp <= 0)]
        parts["b"] = findings(
            ctx,
            b,
            "project",
            keys=["beneficiary_people"],
            message="到户到人项目，受益贫困人口数为" + recorded(b, "beneficiary_people"),
        )
    if "beneficiary_hh" in pj and "beneficiary_people" in pj:
        c = scope[as_mask(bp < bh)]
        parts["c"] = findings(
            ctx,
            c,
            "project",
            keys=["beneficiary_hh", "beneficiary_people"],
            message="受益贫困人口数"
            + recorded(c, "beneficiary_people")
            + "少于受益贫困户数"
            + recorded(c, "beneficiary_hh"),
        )
    return Parts(parts, evaluated=len(scope))


@rule("R83")
def r83(ctx: RuleContext, p: dict) -> Parts:
    """受益户数与措施关联户数不符 (distinct known households among measures of any year with the project)."""
    pj = project_table(ctx)
    ms = measure_table(ctx)
    hh = ctx.table("household")
    bh = num(pj, "beneficiary_hh")
    inscope = yes(pj, "to_household") & as_mask(bh > 0)
    dup = duplicated_projects(pj)
    scope = pj[inscope & ~dup]
    linked = ms[ms["project_id"].notna() & as_mask(ms["hh_id"].isin(hh["hh_id"].dropna()))]
    counts = linked.drop_duplicates(["project_id", "hh_id"])["project_id"].value_counts()
    L = scope["project_id"].map(counts).fillna(0).astype(int)
    diff = (num(scope, "beneficiary_hh") - L).abs()
    sub = scope[as_mask(diff > p["beneficiary_tolerance"])]
    Ls = L[sub.index].astype(str)
    df = findings(
        ctx,
        sub,
        "project",
        columns="受益贫困户数、关联措施户数",
        values=recorded(sub, "beneficiary_hh") + "；" + Ls,
        message="受益贫困户数" + recorded(sub, "beneficiary_hh") + "，但帮扶措施关联该项目的贫困户为" + Ls + "户",
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=int((inscope & dup).sum()))


@rule("R84")
def r84(ctx: RuleContext, p: dict) -> Parts:
    """项目完工早于开工或日期矛盾."""
    pj = project_table(ctx)
    ref = ctx.reference_date
    if not any(c in pj for c in ("start_date", "end_date")):
        raise NotRun("项目库 缺少列：开工日期、完工日期")
    parts: dict = {"a": None, "b": None, "c": None}
    rtxt = ref.strftime("%Y-%m-%d")
    if "start_date" in pj and "end_date" in pj:
        a = pj[as_mask(pj["end_date"] < pj["start_date"])]
        parts["a"] = findings(
            ctx,
            a,
            "project",
            keys=["start_date", "end_date"],
            message="完工日期" + recorded(a, "end_date") + "早于开工日期" + recorded(a, "start_date"),
        )
    if "status" in pj and "end_date" in pj:
        b = pj[isin(pj, "status", ["已完工", "已验收"]) & as_mask(pj["end_date"] > ref)]
        parts["b"] = findings(
            ctx,
            b,
            "project",
            keys=["status", "end_date"],
            message="实施状态为"
            + recorded(b, "status")
            + "，但完工日期"
            + recorded(b, "end_date")
            + "晚于核查基准日"
            + rtxt,
        )
    if "status" in pj and "start_date" in pj:
        c = pj[isin(pj, "status", ["实施中", "已完工", "已验收"]) & as_mask(pj["start_date"] > ref)]
        parts["c"] = findings(
            ctx,
            c,
            "project",
            keys=["status", "start_date"],
            message="实施状态为"
            + recorded(c, "status")
            + "，但开工日期"
            + recorded(c, "start_date")
            + "晚于核查基准日"
            + rtxt,
        )
    return Parts(parts, evaluated=len(pj))


@rule("R85")
def r85(ctx: RuleContext, p: dict) -> Parts:
    """项目未公示 (blank counts)."""
    pj = project_table(ctx)
    sub = pj[~yes(pj, "publicized")]
    df = findings(
        ctx, sub, "project", keys=["publicized"], message="项目未公示（是否公示为" + recorded(sub, "publicized") + "）"
    )
    return Parts({"": df}, evaluated=len(pj))


@rule("R86")
def r86(ctx: RuleContext, p: dict) -> Parts:
    """无帮扶责任人."""
    h, n_dup = household_scope(ctx)
    scope = h[isin(h, "exit_status", params_list(p, "helper_required_statuses"))]
    sub = scope[blank(scope, "helper_name")]
    df = findings(
        ctx,
        sub,
        "household",
        keys=["helper_name"],
        message="脱贫状态为" + recorded(sub, "exit_status") + "，未落实帮扶责任人",
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)


@rule("R87")
def r87(ctx: RuleContext, p: dict) -> Parts:
    """超过12个月未走访 (calendar months before reference_date)."""
    h, n_dup = household_scope(ctx)
    ref = ctx.reference_date
    months = int(p["visit_max_months"])
    cutoff = ref - pd.DateOffset(months=months)
    scope = h[isin(h, "exit_status", params_list(p, "helper_required_statuses"))]
    v = scope["last_visit"]
    missing = v.isna()
    future = as_mask(v > ref)
    old = as_mask(v < cutoff)
    sub = scope[missing | future | old]
    why = pd.Series(f"早于{cutoff.strftime('%Y-%m-%d')}，超过{months}个月未走访", index=sub.index, dtype=object)
    why = why.where(~future[sub.index], "晚于核查基准日" + ref.strftime("%Y-%m-%d"))
    why = why.where(~missing[sub.index], "为空或无效")
    df = findings(
        ctx,
        sub,
        "household",
        keys=["last_visit"],
        message="最近走访日期" + recorded(sub, "last_visit").where(~missing[sub.index], "") + why,
    )
    return Parts({"": df}, evaluated=len(scope), not_evaluated=n_dup)
