"""The verdict for every exited household (audit_standards.md, "Verdict"), its return cause, exit quality and the
Chinese reasons an inspector reads.

First matching row wins (I = recomputed per-capita income in fen, P = open basic-needs problems):

1. I < return_line → 返贫
2. I < exit_line and a problem in P is not resolvable this year → 退回未脱贫
3. 无劳动能力 and not covered by 低保/特困 → 兜底未落实
4. 无劳动能力 (covered), P empty → 保持脱贫（兜底）
5. 无劳动能力 (covered), P not empty → 保持脱贫（限期整改）
6. I < exit_line → 收入未达标
6a. no I (no usable audit-year income row) → 收入待核实 (quality C, never kept, always visited)
7. P not empty → 保持脱贫（限期整改）
8. otherwise → 保持脱贫

"Below" is strictly less, on integers (fen). Rows 1, 2 and 6 need I (a blank operand makes them false); rows 3–5
do not, so a safety-net household without income data is still judged by them, and any other household without I
gets 收入待核实. A household without active members gets no verdict at all (it is a dynamic-management case:
:func:`hgk_lib.audit.dynamic.empty_households`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .. import text as T
from .common import CLASS_NONE, Base, any_by, col, fmt_line, fmt_yuan, has_health, isin, list_id18
from .labour import safety_net
from .needs import SAFETY
from ..derive import join_by

V_RETURNED = "返贫"
V_REVERT = "退回未脱贫"
V_KEEP_NET = "保持脱贫（兜底）"
V_NET_MISSING = "兜底未落实"
V_INCOME_LOW = "收入未达标"
V_INCOME_UNVERIFIED = "收入待核实"
V_KEEP_FIX = "保持脱贫（限期整改）"
V_KEEP = "保持脱贫"
#: Verdicts in the order of the table's first occurrence (used for counts and sorting).
VERDICTS = [V_RETURNED, V_REVERT, V_NET_MISSING, V_KEEP_NET, V_KEEP_FIX, V_INCOME_LOW, V_INCOME_UNVERIFIED, V_KEEP]
KEPT = [V_KEEP_NET, V_KEEP_FIX, V_KEEP]
POOR_QUALITY = [V_RETURNED, V_REVERT, V_NET_MISSING, V_INCOME_LOW, V_INCOME_UNVERIFIED]
QUALITY_A, QUALITY_B, QUALITY_C = "A 稳定", "B 不稳定", "C 差距大"
QUALITIES = [QUALITY_A, QUALITY_B, QUALITY_C]

RETURN_CAUSES = ["因病", "因残", "因学", "因灾"]
CAUSE_OTHER = "其他"

VERDICT_COLUMNS = [
    "hh_id",
    "township",
    "village",
    "head_name",
    "labour_class",
    "active_n",
    "recorded_pc",
    "income_pc",
    "income_diff",
    "policy_share",
    "verdict",
    "return_cause",
    "quality",
    "reasons",
]


def decide(
    income_fen: pd.Series,
    labour_class: pd.Series,
    covered: pd.Series,
    n_problems: pd.Series,
    n_unresolvable: pd.Series,
    exit_fen: int,
    return_fen: int,
) -> pd.Series:
    """The verdict table, vectorised (all inputs aligned; ``income_fen`` nullable Int64)."""
    inc = pd.Series(income_fen, dtype="Int64")
    below_return = (inc < return_fen).fillna(False).to_numpy(dtype=bool)
    below_exit = (inc < exit_fen).fillna(False).to_numpy(dtype=bool)
    no_income = inc.isna().to_numpy(dtype=bool)
    none = (pd.Series(labour_class).astype(object) == CLASS_NONE).to_numpy(dtype=bool)
    cov = pd.Series(covered).fillna(False).to_numpy(dtype=bool)
    has_p = pd.Series(n_problems).fillna(0).to_numpy() > 0
    unres = pd.Series(n_unresolvable).fillna(0).to_numpy() > 0
    conditions = [
        below_return,
        below_exit & unres,
        none & ~cov,
        none & cov & ~has_p,
        none & cov & has_p,
        below_exit,
        no_income,
        has_p,
    ]
    choices = [
        V_RETURNED,
        V_REVERT,
        V_NET_MISSING,
        V_KEEP_NET,
        V_KEEP_FIX,
        V_INCOME_LOW,
        V_INCOME_UNVERIFIED,
        V_KEEP_FIX,
    ]
    return pd.Series(np.select(conditions, choices, default=V_KEEP).astype(object), index=inc.index)


def grade(
    verdict: pd.Series,
    income_fen: pd.Series,
    labour_class: pd.Series,
    policy_share: pd.Series,
    n_problems: pd.Series,
    stable_fen: int,
    policy_share_max: float,
) -> pd.Series:
    """Exit quality: ``A 稳定`` / ``B 不稳定`` for kept households, ``C 差距大`` for the others."""
    inc = pd.Series(income_fen, dtype="Int64")
    v = pd.Series(verdict).astype(object)
    share_ok = (pd.Series(policy_share, dtype=float) < policy_share_max).to_numpy(dtype=bool)
    none = (pd.Series(labour_class).astype(object) == CLASS_NONE).to_numpy(dtype=bool)
    a = (
        (inc >= stable_fen).fillna(False).to_numpy(dtype=bool)
        & (pd.Series(n_problems).fillna(0).to_numpy() == 0)
        & (none | share_ok)
    )
    kept = v.isin(KEPT).to_numpy(dtype=bool)
    return pd.Series(np.where(kept, np.where(a, QUALITY_A, QUALITY_B), QUALITY_C).astype(object), index=v.index)


def return_causes(base: Base, hh_ids: pd.Series) -> pd.DataFrame:
    """Per household: ``return_cause`` (因病/因残/因学/因灾, else 其他) and ``cause_evidence`` text.

    The recorded 主要致贫原因 wins when it is one of the four; otherwise the first of 因病, 因残, 因学, 因灾 with
    evidence in 其他致贫原因, the members' health and schooling (active members) or the departments' lists
    (残联_残疾人 for 因残, 教育_学籍 在读 for 因学).
    """
    h = base.households.set_index("hh_id").reindex(hh_ids)
    m = base.members[base.members["active"]]
    main = col(h, "main_cause").to_numpy(dtype=object)
    # "," + 其他致贫原因 + ",": a cause is one of its comma-separated items when ",<cause>," occurs in it
    other = "," + pd.Series(col(h, "other_causes").fillna("").astype(str).to_numpy(dtype=object), dtype="str") + ","
    ev: dict[str, list[tuple[np.ndarray, str]]] = {c: [] for c in RETURN_CAUSES}
    for c in RETURN_CAUSES:  # four causes, not households
        ev[c].append((other.str.contains(f",{c},", regex=False).to_numpy(dtype=bool), f"其他致贫原因含{c}"))
    ev["因病"].append((T.isin(hh_ids, any_by(m["hh_id"], has_health(m, "患有大病"))), "户内有患有大病成员"))
    ev["因病"].append((T.isin(hh_ids, any_by(m["hh_id"], has_health(m, "长期慢性病"))), "户内有长期慢性病成员"))
    ev["因残"].append((T.isin(hh_ids, any_by(m["hh_id"], has_health(m, "残疾"))), "户内有残疾成员"))
    dis = base.lists.get("disability")
    if dis is not None:
        dis_ids = list_id18(dis).dropna()
        ev["因残"].append(
            (
                T.isin(hh_ids, any_by(m["hh_id"], T.isin_series(m["id18"], dis_ids))),
                "残联_残疾人：户内有持证残疾人",
            )
        )
    school = col(m, "school_status")
    ev["因学"].append((T.isin(hh_ids, any_by(m["hh_id"], school.notna() & (school != "非在校生"))), "户内有在校生"))
    edu = base.lists.get("education")
    if edu is not None:
        reading = list_id18(edu)[isin(edu, "enrol_status", ["在读"])].dropna()
        ev["因学"].append(
            (T.isin(hh_ids, any_by(m["hh_id"], T.isin_series(m["id18"], reading))), "教育_学籍：户内有在读学生")
        )
    n = len(hh_ids)
    texts = {}
    anyev = {}
    for c in RETURN_CAUSES:
        t = pd.Series("", index=range(n), dtype=object)
        hit = np.zeros(n, dtype=bool)
        for mask, label in ev[c]:
            t = t + pd.Series(np.where(mask & (t != "").to_numpy(), "、", ""), dtype=object)
            t = t + pd.Series(np.where(mask, label, ""), dtype=object)
            hit |= mask
        main_is = main == c
        t = pd.Series(
            np.where(main_is, np.where(t != "", "主要致贫原因为" + c + "、" + t, "主要致贫原因为" + c), t), dtype=object
        )
        texts[c] = t.to_numpy(dtype=object)
        anyev[c] = hit | main_is
    cause = np.full(n, CAUSE_OTHER, dtype=object)
    text = np.full(n, "未见因病、因残、因学、因灾依据", dtype=object)
    for c in reversed(RETURN_CAUSES):  # earlier causes take precedence
        cause = np.where(anyev[c], c, cause)
        text = np.where(anyev[c], texts[c], text)
    main_known = np.isin(main, RETURN_CAUSES)
    cause = np.where(main_known, main, cause)
    for c in RETURN_CAUSES:
        text = np.where(main_known & (main == c), texts[c], text)
    return pd.DataFrame({"return_cause": cause, "cause_evidence": text}, index=hh_ids.index)


def _problem_lists(needs: pd.DataFrame) -> pd.DataFrame:
    """Per household: n problems, n unresolvable, and the text of each list."""
    if needs.empty:
        return pd.DataFrame(columns=["n_problems", "n_unresolvable", "problems_text", "unresolvable_text"])
    label = (
        needs["problem_type"] + "（" + needs["department"] + "，" + needs["deadline"].dt.strftime("%Y-%m-%d") + "前）"
    )
    label = label.where(needs["person_id"].isna(), label + "[人编号" + needs["person_id"].astype(str) + "]")
    df = needs.assign(_label=label, _unres=~needs["resolvable"])
    g = df.groupby("hh_id", sort=False)
    out = pd.DataFrame({"n_problems": g.size(), "n_unresolvable": g["_unres"].sum()})
    out["problems_text"] = join_by(df["_label"], df["hh_id"], "、", sort=False)
    un = df[df["_unres"]]
    out["unresolvable_text"] = join_by(un["_label"], un["hh_id"], "、", sort=False).reindex(out.index).fillna("")
    return out


def verified_fen(verified: pd.DataFrame | None, hh: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per household of ``hh``: the visit's verified per-capita income in fen (nullable Int64) and the 依据 text
    saying where it comes from (blank where none). ``verified``: hh_id · income_pc (yuan) · optional visit_date,
    origin (the campaign record's verified incomes, :func:`hgk_lib.campaign.collect.verified_incomes`)."""
    idx = hh.index
    none = (pd.Series(pd.NA, index=idx, dtype="Int64"), pd.Series("", index=idx, dtype=object))
    if verified is None or len(verified) == 0 or "hh_id" not in verified or "income_pc" not in verified:
        return none
    from ..items import key_text

    v = verified.assign(_h=key_text(verified["hh_id"]), _y=pd.to_numeric(verified["income_pc"], errors="coerce"))
    v = v[v["_y"].notna()].drop_duplicates("_h", keep="last").set_index("_h")
    if v.empty:
        return none
    key = key_text(pd.Series(hh.to_numpy(dtype=object), index=idx))
    yuan = key.map(v["_y"])
    fen = (yuan * 100).round().astype("Int64")
    when = key.map(v["visit_date"]) if "visit_date" in v else pd.Series(None, index=idx, dtype=object)
    where = key.map(v["origin"]) if "origin" in v else pd.Series(None, index=idx, dtype=object)
    text = (
        "入户核实人均可支配收入"
        + yuan.map(lambda x: "" if pd.isna(x) else f"{x:,.2f}")
        + "元（走访"
        + when.astype(object).where(when.notna(), "").astype(str).map(lambda d: f"日期 {d}" if d else "")
        + where.astype(object).where(where.notna(), "").astype(str).map(lambda o: f"，{o}" if o else "")
        + "），替代系统记录用于本次判定"
    )
    return fen, text.where(fen.notna(), "")


def verdict_table(
    base: Base, income: pd.DataFrame, needs: pd.DataFrame, cls: pd.Series, verified: pd.DataFrame | None = None
) -> pd.DataFrame:
    """核查结论: one row per exited household (脱贫状态 已脱贫（享受政策）or 已脱贫（不再享受政策）) with at least one
    active member; a household without active members gets no verdict (it is listed in 动态管理).

    ``verified`` (optional; hh_id · income_pc · visit_date · origin): incomes verified at the door in an earlier
    visit (campaign.md §2); for those households the verified income replaces the recomputed one in the verdict
    and the quality, and 依据 says so."""
    p = base.p
    inc = income[income["exit_status"].isin(S.EXITED) & (income["active_n"] > 0)].reset_index(drop=True)
    hh = inc["hh_id"]
    net = safety_net(base).reindex(hh.to_numpy(dtype=object))
    probs = _problem_lists(needs).reindex(hh.to_numpy(dtype=object))
    n_p = probs["n_problems"].fillna(0).astype(int).to_numpy()
    n_u = probs["n_unresolvable"].fillna(0).astype(int).to_numpy()
    labour = cls.reindex(hh.to_numpy(dtype=object)).to_numpy(dtype=object)
    covered = net["covered"].fillna(False).to_numpy(dtype=bool)
    ifen = inc["income_pc_fen"]
    v_fen, v_text = verified_fen(verified, hh)
    by_visit = v_fen.notna().to_numpy(dtype=bool)
    if by_visit.any():
        ifen = pd.Series(ifen, dtype="Int64").where(~by_visit, v_fen)
    verdict = decide(
        ifen, pd.Series(labour), pd.Series(covered), pd.Series(n_p), pd.Series(n_u), p.exit_fen, p.return_fen
    )
    quality = grade(
        verdict, ifen, pd.Series(labour), inc["policy_share"], pd.Series(n_p), p.stable_fen, p.policy_share_max
    )
    causes = return_causes(base, hh)
    is_ret = (verdict == V_RETURNED).to_numpy(dtype=bool)

    # ---- reasons (Chinese) --------------------------------------------------------------------------------------
    idx = inc.index
    v = verdict
    ret_line, exit_line = fmt_line(p.return_line), fmt_line(p.exit_line)
    inc_txt = (
        pd.Series(np.where(by_visit, "入户核实人均可支配收入", "复核人均可支配收入"), index=idx) + fmt_yuan(ifen) + "元"
    )
    has_inc = ifen.notna().to_numpy(dtype=bool)
    reach = pd.Series(np.where(has_inc, f"，达到脱贫线{exit_line}元", ""), index=idx)
    ptxt = probs["problems_text"].fillna("").to_numpy(dtype=object)
    utxt = probs["unresolvable_text"].fillna("").to_numpy(dtype=object)
    net_txt = pd.Series(net["covered_by"].fillna("").to_numpy(dtype=object), index=idx)
    safety_days = p.need_days[SAFETY]
    reasons = pd.Series("", index=idx, dtype=object)
    pieces = {
        V_RETURNED: (
            inc_txt
            + f"，低于返贫线{ret_line}元；"
            + causes["return_cause"]
            + "："
            + causes["cause_evidence"]
            + "；须将脱贫状态改为返贫，加大帮扶力度"
        ),
        V_REVERT: inc_txt
        + f"，低于脱贫线{exit_line}元；年内无法解决的问题："
        + utxt
        + "；须将脱贫状态退回未脱贫，稳定脱贫后再退出",
        V_NET_MISSING: pd.Series(
            f"无劳动能力，户内正常成员均未享受低保或特困供养；需民政局{safety_days}日内纳入兜底", index=idx
        ),
        V_KEEP_NET: "无劳动能力，已兜底（" + net_txt + "）；无三保障问题",
        V_INCOME_LOW: inc_txt + f"，低于脱贫线{exit_line}元，需重点帮扶",
        V_INCOME_UNVERIFIED: pd.Series(
            f"无{p.audit_year}年可用收入记录，收入待核实：须入户核实收入，核实前不计入保持脱贫", index=idx
        ),
        V_KEEP: inc_txt + reach + "；无三保障问题",
    }
    for name, text in pieces.items():  # eight verdicts, not households
        reasons = reasons.where(v != name, text)
    fix_none = (v == V_KEEP_FIX) & (pd.Series(labour, index=idx) == CLASS_NONE)
    reasons = reasons.where(~fix_none, "无劳动能力，已兜底（" + net_txt + "）；三保障问题限期整改：" + ptxt)
    reasons = reasons.where(~((v == V_KEEP_FIX) & ~fix_none), inc_txt + reach + "；三保障问题限期整改：" + ptxt)
    # facts that hold whatever the verdict
    other_p = (n_p > 0) & v.isin([V_RETURNED, V_NET_MISSING, V_INCOME_LOW, V_INCOME_UNVERIFIED]).to_numpy(dtype=bool)
    reasons = reasons + pd.Series(np.where(other_p, "；三保障问题：" + ptxt, ""), index=idx)
    diff_bad = inc["income_finding"] & inc["income_diff"].notna()
    reasons = reasons + pd.Series(
        np.where(
            diff_bad,
            "；系统人均可支配收入"
            + fmt_yuan(inc["recorded_pc_fen"])
            + "元，与复核相差"
            + inc["income_diff"].map(lambda x: "" if pd.isna(x) else f"{x:,.2f}")
            + "元",
            "",
        ),
        index=idx,
    )
    dup = hh.isin(base.duplicated_hh).to_numpy(dtype=bool)
    reasons = reasons + pd.Series(np.where(dup, "；户编号重复（规则R10），按贫困户信息第一行核查", ""), index=idx)
    net_rows = (v.isin([V_NET_MISSING, V_KEEP_NET]) | fix_none).to_numpy(dtype=bool)
    reasons = reasons + pd.Series(np.where(net_rows & has_inc, "；" + inc_txt, ""), index=idx)
    reasons = reasons + pd.Series(
        np.where(net_rows & ~has_inc, f"；无{p.audit_year}年可用收入记录（兜底保障户不以收入判定）", ""), index=idx
    )
    reasons = reasons + pd.Series(np.where(by_visit, "；依据" + v_text, ""), index=idx)
    out = pd.DataFrame(
        {
            "hh_id": hh.to_numpy(dtype=object),
            "township": inc["township"].to_numpy(dtype=object),
            "village": inc["village"].to_numpy(dtype=object),
            "head_name": inc["head_name"].to_numpy(dtype=object),
            "labour_class": labour,
            "active_n": inc["active_n"].to_numpy(),
            "recorded_pc": inc["recorded_pc"].to_numpy(dtype=float),
            "income_pc": np.where(
                by_visit,
                pd.Series(ifen, dtype="Float64").to_numpy(dtype=float, na_value=np.nan) / 100,
                inc["income_pc"].to_numpy(dtype=float),
            ),
            "income_diff": inc["income_diff"].to_numpy(dtype=float),
            "policy_share": inc["policy_share"].to_numpy(dtype=float),
            "verdict": verdict.to_numpy(dtype=object),
            "return_cause": np.where(is_ret, causes["return_cause"].to_numpy(dtype=object), None),
            "quality": quality.to_numpy(dtype=object),
            "reasons": reasons.to_numpy(dtype=object),
        }
    )
    return out[VERDICT_COLUMNS]
