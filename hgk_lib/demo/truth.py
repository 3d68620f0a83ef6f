"""Ground truth: verdicts per audit_standards.md, exit quality, hidden risk, verified income, inspection history.

The verdict is computed from the canonical tables *as the loader yields them* (quarantined rows removed), by an
implementation independent of :mod:`hgk_lib.audit`, so that the two can be compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .population import AUDIT_YEAR, CUTOFF, REF

EXIT_LINE, RETURN_LINE, MARGIN = 8400.0, 4000.0, 1.2
FULL = ["普通劳动力", "技能劳动力"]
POLICY_ITEMS = ["dibao_income", "tekun_income", "pension_income", "family_planning", "eco_comp", "other_transfer"]


def _yes(s):
    return s.astype(object).eq(True).fillna(False).astype(bool) if s is not None else False


def _has(series, value):
    return series.astype(object).fillna("").str.split(",").map(lambda p: value in p).astype(bool)


def fast_id18(id_no: pd.Series, id_type: pd.Series | None = None) -> pd.Series:
    """derive.id18 with vectorised string methods (same semantics; NA where R01 fails)."""
    s = id_no.astype(object).where(id_no.notna(), None).astype("string").str.strip().str.upper()
    s = s.where(s != "", pd.NA)
    t = id_type.astype(object) if id_type is not None else pd.Series(None, index=s.index, dtype=object)
    is18 = s.str.fullmatch(D.RE_ID18).fillna(False).astype(bool)
    is15 = s.str.fullmatch(D.RE_ID15).fillna(False).astype(bool)
    isdis = s.str.fullmatch(D.RE_DISABILITY).fillna(False).astype(bool)
    other = (t == "其他").fillna(False).astype(bool).to_numpy()
    disc = (t == "残疾人证").fillna(False).astype(bool).to_numpy()
    ok = np.where(
        other, s.notna().to_numpy(), np.where(disc, (is18 | is15 | isdis).to_numpy(), (is18 | is15).to_numpy())
    )
    out = s.where(is18, pd.NA)
    out = out.where(~(isdis & ~is18), s.str[:18])
    if is15.any():
        f17 = s[is15].str[:6] + "19" + s[is15].str[6:]
        out[is15] = f17 + D.check_char(f17.astype(object)).astype(object)
    out = out.where(~pd.Series(other, index=s.index), s)
    return out.where(pd.Series(ok, index=s.index), pd.NA).astype(object).where(lambda x: x.notna(), None)


def fast_birth(m: pd.DataFrame) -> pd.Series:
    """derive.birth_dates, vectorised: ID-encoded date when the ID passes R01-R03, else a valid 出生日期."""
    t = m["id_type"] if "id_type" in m else None
    id18 = fast_id18(m["id_no"], t)
    other = (t.astype(object) == "其他").fillna(False).astype(bool) if t is not None else False
    body = id18.astype("string")
    raw = m["id_no"].astype(object).where(m["id_no"].notna(), None).astype("string").str.strip()
    ymd = body.str[6:14].where(~raw.str.fullmatch(D.RE_ID15).fillna(False), "19" + raw.str[6:12])
    enc = pd.to_datetime(ymd.where(~other, pd.NA), format="%Y%m%d", errors="coerce")
    ok = enc.notna() & (enc <= REF) & (D.age_on(enc, REF).fillna(-1) <= 110)
    own = pd.to_datetime(m["birth_date"], errors="coerce") if "birth_date" in m else pd.Series(pd.NaT, index=m.index)
    return enc.where(ok, own)


def household_facts(t: dict) -> pd.DataFrame:
    """Per household of one county (or the city): A (audit active), income I, class, coverage, problems."""
    hh = t["household"].drop_duplicates("hh_id")
    m = t["member"]
    police = t.get("police")
    m = m[m["hh_id"].isin(hh["hh_id"])].copy()
    m["_birth"] = fast_birth(m)
    m["_age_t"] = D.age_on(m["_birth"], REF).astype(float)
    m["_sage_t"] = D.age_on(m["_birth"], CUTOFF).astype(float)
    m["_id18"] = fast_id18(m["id_no"], m["id_type"] if "id_type" in m else None)
    act = (m["member_status"].astype(object) == "正常").fillna(False).astype(bool)
    if police is not None and len(police):
        pdate = police["change_date"]
        gone = police["hukou_status"].isin(["死亡", "迁出"]) & (pdate.isna() | (pdate <= REF))
        gone_ids = set(fast_id18(police.loc[gone, "id_no"]).dropna())
        act &= ~m["_id18"].isin(gone_ids)
    a = m[act.to_numpy()]
    f = pd.DataFrame(index=pd.Index(hh["hh_id"].to_numpy(), name="hh_id"))
    f["A"] = a.groupby("hh_id").size().reindex(f.index).fillna(0).astype(int)
    age, lab = a["_age_t"].to_numpy(), a["labour_skill"].astype(object).to_numpy()
    full = pd.Series((age >= 16) & (age <= 64) & np.isin(lab, FULL)).groupby(a["hh_id"].to_numpy()).any()
    weak = (
        pd.Series((age >= 16) & ((lab == "弱劳动力或半劳动力") | (np.isin(lab, FULL) & (age >= 65))))
        .groupby(a["hh_id"].to_numpy())
        .any()
    )
    f["cls"] = np.where(
        full.reindex(f.index).fillna(False),
        "有劳动能力",
        np.where(weak.reindex(f.index).fillna(False), "弱劳力半劳力", "无劳动能力"),
    )
    # coverage: registry flag or 民政 list active on reference_date
    cov = _yes(a["dibao"]) | _yes(a["tekun"])
    civil = t.get("civil")
    if civil is not None and len(civil):
        c = civil.assign(_id18=fast_id18(civil["id_no"]))
        on = (c["start_date"].isna() | (c["start_date"] <= REF)) & (c["end_date"].isna() | (c["end_date"] >= REF))
        cov = cov | a["_id18"].isin(set(c.loc[on, "_id18"].dropna())).to_numpy()
    f["covered"] = (
        pd.Series(np.asarray(cov, dtype=bool))
        .groupby(a["hh_id"].to_numpy())
        .any()
        .reindex(f.index)
        .fillna(False)
        .astype(bool)
    )
    # income (audit-year row; fen)
    inc = t["income"]
    inc = inc[(inc["year"] == AUDIT_YEAR) & inc["hh_id"].isin(f.index)].drop_duplicates("hh_id").set_index("hh_id")
    fen = lambda c: np.round(inc[c].astype(float).fillna(0).to_numpy() * 100).astype(np.int64)  # noqa: E731
    items = sum(fen(c) for c in POLICY_ITEMS)
    any_item = inc[POLICY_ITEMS + ["medical_reimb"]].notna().any(axis=1).to_numpy()
    transfer = np.where(any_item, items, fen("transfer_income"))
    dsp = (
        fen("wage")
        + fen("business_income")
        - np.abs(fen("business_cost"))
        + fen("property_income")
        + transfer
        - fen("transfer_out")
    )
    d = pd.Series(dsp, index=inc.index).reindex(f.index)
    pol = pd.Series(items, index=inc.index).reindex(f.index)
    A = f["A"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pc = np.where(A > 0, np.floor(d.to_numpy(dtype=float) / np.maximum(A, 1) + 0.5) / 100.0, np.nan)
        f["policy_share"] = np.where(
            d.to_numpy(dtype=float) > 0, pol.to_numpy(dtype=float) / d.to_numpy(dtype=float), np.nan
        )
    f["I"] = pc
    f["recorded_pc"] = inc["disposable_pc_recorded"].reindex(f.index).astype(float)
    # problems (open on reference_date)
    prob = {k: pd.Series(False, index=f.index) for k in ["edu", "ins", "crit", "house_open", "house_new", "water"]}
    soldier = _yes(a["soldier"]) if "soldier" in a else pd.Series(False, index=a.index)
    health = a["health"].astype(object)
    ins_school = a["school_status"].astype(object).notna() & (a["school_status"].astype(object) != "非在校生")
    reason = a["out_of_school_reason"].astype(object).fillna("")
    valid = (reason.str.contains("病") & _has(health, "患有大病")) | (reason.str.contains("残") & _has(health, "残疾"))
    sa = a["_sage_t"]
    edu = (sa >= 6) & (sa <= 15) & ~ins_school & ~valid
    ed = t.get("education")
    if ed is not None and len(ed):
        e = ed.assign(_id18=fast_id18(ed["id_no"]))
        drop = set(e.loc[e["enrol_status"] == "辍学", "_id18"].dropna())
        ok = set(e.loc[e["enrol_status"].isin(["在读", "休学"]), "_id18"].dropna())
        dstage = set(e.loc[(e["enrol_status"] == "辍学") & e["stage"].isin(["小学", "初中"]), "_id18"].dropna())
        r88 = a["_id18"].isin(drop) & ~a["_id18"].isin(ok) & (((sa >= 6) & (sa <= 15)) | a["_id18"].isin(dstage))
        edu = edu | r88

    def by(s):
        return (
            pd.Series(np.asarray(s, dtype=bool))
            .groupby(a["hh_id"].to_numpy())
            .any()
            .reindex(f.index)
            .fillna(False)
            .astype(bool)
        )

    prob["edu"] = by(edu)
    uninsured = ~_yes(a["ins_resident"]) & ~_yes(a["ins_employee"])
    med = t.get("medical")
    if med is not None:
        md = med.assign(_id18=fast_id18(med["id_no"]))
        uninsured = uninsured | ~a["_id18"].isin(set(md.loc[md["ins_year"] == AUDIT_YEAR, "_id18"].dropna()))
    prob["ins"] = by(uninsured & ~soldier)
    prob["crit"] = by(_has(health, "患有大病") & ~_yes(a["ins_critical"]) & ~soldier)
    # housing
    hs = t.get("housing")
    reg_unsafe = (_yes(hh["unsafe_house"]) | hh["house_level"].isin(["C", "D"])).to_numpy()
    reg = pd.Series(reg_unsafe, index=hh["hh_id"].to_numpy()).reindex(f.index)
    matched = pd.Series(False, index=f.index)
    open_new = pd.Series(False, index=f.index)
    open_prog = pd.Series(False, index=f.index)
    if hs is not None and len(hs):
        h = hs.assign(_id18=fast_id18(hs["head_id"]))
        keys = pd.concat(
            [
                pd.DataFrame({"hh_id": hh["hh_id"].to_numpy(), "_id18": fast_id18(hh["head_id"]).to_numpy()}),
                pd.DataFrame({"hh_id": a["hh_id"].to_numpy(), "_id18": a["_id18"].to_numpy()}),
            ]
        ).dropna()
        keys = keys.drop_duplicates()
        j = h.merge(keys, on="_id18")
        op = j["appraisal_level"].isin(["C", "D"]) & (j["renovation_status"].astype(object) != "已竣工")
        matched = pd.Series(True, index=j["hh_id"].unique()).reindex(f.index).fillna(False).astype(bool)
        open_prog = (
            pd.Series((op & (j["renovation_status"] == "改造中")).to_numpy(dtype=bool))
            .groupby(j["hh_id"].to_numpy())
            .any()
            .reindex(f.index)
            .fillna(False)
            .astype(bool)
        )
        open_new = (
            pd.Series((op & (j["renovation_status"] != "改造中")).to_numpy(dtype=bool))
            .groupby(j["hh_id"].to_numpy())
            .any()
            .reindex(f.index)
            .fillna(False)
            .astype(bool)
        )
    prob["house_prog"] = open_prog & matched
    prob["house_new"] = (open_new & matched) | (reg.fillna(False).astype(bool) & ~matched)
    w = (hh["safe_water"].astype(object).eq(False).fillna(False) | _yes(hh["water_difficulty"])).to_numpy()
    prob["water"] = pd.Series(w, index=hh["hh_id"].to_numpy()).reindex(f.index).fillna(False).astype(bool)
    prob["doudi"] = (f["cls"] == "无劳动能力") & ~f["covered"] & (f["A"] > 0)
    del prob["house_open"]
    for k, v in prob.items():
        f["p_" + k] = v.astype(bool)
    pcols = ["p_" + k for k in prob]
    f["P"] = f[pcols].any(axis=1).astype(bool)
    f["unresolvable"] = f["p_house_new"].astype(bool)
    # verdict
    st = hh.set_index("hh_id")["exit_status"].reindex(f.index)
    exited = st.isin(["已脱贫（享受政策）", "已脱贫（不再享受政策）"]).astype(bool)
    I = f["I"]  # noqa: E741 - the audit standard's name for per-capita income
    none = f["cls"] == "无劳动能力"
    v = np.select(
        [
            I < RETURN_LINE,
            (I < EXIT_LINE) & f["unresolvable"],
            none & ~f["covered"],
            none & ~f["P"],
            none,
            I < EXIT_LINE,
            f["P"],
        ],
        [
            "返贫",
            "退回未脱贫",
            "兜底未落实",
            "保持脱贫（兜底）",
            "保持脱贫（限期整改）",
            "收入未达标",
            "保持脱贫（限期整改）",
        ],
        "保持脱贫",
    )
    v = np.where(I.isna() & ~none, "收入待核实", v)  # row 6a: no verdict income, not a safety-net household
    v = np.where(f["A"] > 0, v, "")  # no active member: no verdict (a dynamic-management case)
    f["verdict"] = np.where(exited, v, "")
    f["exited"] = exited
    # return cause
    hs = hh.set_index("hh_id")
    cause = hs["main_cause"].reindex(f.index).astype(object)
    other = hs["other_causes"].reindex(f.index).astype(object).fillna("").str.split(",")
    oth = lambda c: other.map(lambda v, c=c: c in v).to_numpy(dtype=bool)  # noqa: E731
    ill = by(_has(health, "患有大病") | _has(health, "长期慢性病")).to_numpy() | oth("因病")
    dis_flag = _has(health, "残疾")
    dl = t.get("disability")
    if dl is not None and len(dl):
        dis_flag = dis_flag | a["_id18"].isin(set(fast_id18(dl["id_no"]).dropna()))
    stu_flag = ins_school
    if ed is not None and len(ed):
        stu_flag = stu_flag | a["_id18"].isin(set(fast_id18(ed.loc[ed["enrol_status"] == "在读", "id_no"]).dropna()))
    dis = by(dis_flag).to_numpy() | oth("因残")
    stu = by(stu_flag).to_numpy() | oth("因学")
    dis_c = oth("因灾")
    rc = np.where(
        cause.isin(["因病", "因残", "因学", "因灾"]),
        cause,
        np.where(ill, "因病", np.where(dis, "因残", np.where(stu, "因学", np.where(dis_c, "因灾", "其他")))),
    )
    f["return_cause"] = np.where(f["verdict"] == "返贫", rc, "")
    ps = f["policy_share"].fillna(1.0)
    kept = f["verdict"].str.startswith("保持脱贫")
    qa = (I >= MARGIN * EXIT_LINE) & ~f["P"] & (none | (ps < 0.5))
    f["quality"] = np.where(~exited | (f["verdict"] == ""), "", np.where(kept, np.where(qa, "A", "B"), "C"))
    return f


def quick_income(t: dict) -> pd.DataFrame:
    """Verdict income per household of the clean registry (no quarantine, 公安 agrees): for picking only."""
    hh = t["household"]
    inc = t["income"]
    i = inc[inc["year"] == AUDIT_YEAR].set_index("hh_id").reindex(hh["hh_id"])
    pol = sum(i[c].fillna(0) for c in POLICY_ITEMS)
    d = i["wage"] + i["business_income"] - i["business_cost"].abs() + i["property_income"] + pol - i["transfer_out"]
    a = hh.set_index("hh_id")["A"].astype(float)
    return pd.DataFrame({"I": (d / a.reindex(d.index)).round(2)})


def hidden_risk(rng, f: pd.DataFrame, t: dict, planted_hh: set) -> pd.DataFrame:
    """True problem probability from a latent risk: thin margin, policy reliance, illness, elderly-only, low work."""
    m = t["member"]
    a = m[m["member_status"] == "正常"]
    n = len(f)
    idx = f.index
    major = (
        a.assign(_x=a["health"].astype(str).str.contains("患有大病"))
        .groupby("hh_id")["_x"]
        .any()
        .reindex(idx)
        .fillna(False)
    )
    chronic = (
        a.assign(_x=a["health"].astype(str).str.contains("长期慢性病"))
        .groupby("hh_id")["_x"]
        .any()
        .reindex(idx)
        .fillna(False)
    )
    dis = (
        a.assign(_x=a["health"].astype(str).str.contains("残疾"))
        .groupby("hh_id")["_x"]
        .any()
        .reindex(idx)
        .fillna(False)
    )
    bd = fast_birth(a)
    age = D.age_on(bd, REF).astype(float)
    eld = pd.Series((age < 60).to_numpy()).groupby(a["hh_id"].to_numpy()).sum().reindex(idx).fillna(0) == 0
    months = (
        pd.Series(
            np.nan_to_num(a["work_months"].astype(float).to_numpy())
            + np.nan_to_num(a["pwj_months"].astype(float).to_numpy())
        )
        .groupby(a["hh_id"].to_numpy())
        .sum()
        .reindex(idx)
        .fillna(0)
    )
    I = f["I"].fillna(0).to_numpy()  # noqa: E741 - per-capita income, as in the standard
    thin = np.clip((1.35 * EXIT_LINE - I) / (0.5 * EXIT_LINE), 0, 2.0)
    ps = np.clip(f["policy_share"].fillna(1.0).to_numpy(), 0, 1)
    low_work = (months.to_numpy() < 6) & (f["cls"].to_numpy() == "有劳动能力")
    fl = lambda s: np.asarray(s, dtype=float)  # noqa: E731
    z = (
        -3.3
        + 1.6 * thin
        + 1.3 * ps
        + 0.9 * fl(major)
        + 0.35 * fl(chronic)
        + 0.45 * fl(dis)
        + 0.7 * fl(eld)
        + 0.6 * fl(low_work)
        + rng.normal(0, 0.45, size=n)
    )
    bad = ~f["verdict"].isin(["", "保持脱贫", "保持脱贫（兜底）"]).to_numpy()
    z = z + np.where(bad, 3.0, 0) + np.where(f["P"].to_numpy(dtype=bool), 1.5, 0)
    z = z + np.where(f.index.isin(list(planted_hh)), 0.8, 0)
    p = 1 / (1 + np.exp(-z))
    f["true_problem_prob"] = np.round(p, 4)
    f["true_problem"] = (rng.random(n) < p).astype(int)
    # what the visit finds, and the income an inspector would measure
    concl = np.where(
        f["true_problem"] == 0,
        "属实",
        np.where(
            f["P"].to_numpy(),
            "两不愁三保障未解决",
            np.where((I < 1.25 * EXIT_LINE) | (rng.random(n) < 0.5), "收入不达标", "信息不准确"),
        ),
    )
    f["true_conclusion"] = concl
    noise = np.exp(rng.normal(0, 0.06, size=n))
    vi = I * noise
    low = concl == "收入不达标"
    vi = np.where(low, np.minimum(vi, EXIT_LINE * rng.uniform(0.55, 0.98, size=n)), vi)
    vi = np.where(~low & (I >= EXIT_LINE), np.maximum(vi, EXIT_LINE + 1), vi)
    f["verified_income_pc"] = np.round(vi, 2)
    return f


def inspection_history(rng, f: pd.DataFrame, hh: pd.DataFrame) -> pd.DataFrame:
    """Earlier spot checks (2017 third-party without 入样概率; 2018 random and risk-based with it)."""
    h = hh.drop_duplicates("hh_id").set_index("hh_id")
    ey = pd.to_numeric(h["exit_year"].reindex(f.index), errors="coerce").astype(float)
    st = h["exit_status"].reindex(f.index)
    county = h["_county"].reindex(f.index)
    p = f["true_problem_prob"].to_numpy()
    rows = []
    for year, method in ((2017, "第三方评估"), (2018, "随机抽查"), (2018, "重点抽查")):
        frame = (ey <= year).to_numpy() & st.isin(["已脱贫（享受政策）", "已脱贫（不再享受政策）", "返贫"]).to_numpy()
        if method == "随机抽查":
            share = 0.04
            pi = np.full(len(f), share)
        elif method == "重点抽查":
            score = np.clip(p + rng.normal(0, 0.05, len(f)), 0.001, 1)
            mean = score[frame].mean() if frame.any() else 1.0
            pi = np.clip(0.03 * score / max(mean, 1e-6), 0.005, 0.9)
        else:
            pi = np.full(len(f), 0.025)
        drawn = frame & (rng.random(len(f)) < pi)
        k = int(drawn.sum())
        # the problem then: the hidden probability, a little lower one year further back
        pp = np.clip(p[drawn] * (0.85 if year == 2017 else 0.95), 0, 1)
        prob = rng.random(k) < pp
        I = f["I"].to_numpy()[drawn]  # noqa: E741 - per-capita income, as in the standard
        concl = np.where(
            ~prob,
            "属实",
            np.where(
                f["P"].to_numpy()[drawn],
                "两不愁三保障未解决",
                np.where(rng.random(k) < 0.65, "收入不达标", "信息不准确"),
            ),
        )
        vi = np.where(
            concl == "收入不达标",
            EXIT_LINE * rng.uniform(0.5, 0.97, size=k) * (0.95 if year == 2017 else 1),
            np.maximum(I, 1) * np.exp(rng.normal(-0.08, 0.08, size=k)),
        )
        rows.append(
            pd.DataFrame(
                {
                    "hh_id": f.index[drawn],
                    "year": year,
                    "method": method,
                    "inclusion_prob": np.round(pi[drawn], 4) if method != "第三方评估" else np.nan,
                    "conclusion": concl,
                    "verified_income_pc": np.round(vi, 2),
                    "_county": county.to_numpy()[drawn],
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out = out.sort_values(["_county", "year", "hh_id"], kind="stable").reset_index(drop=True)
    return out
