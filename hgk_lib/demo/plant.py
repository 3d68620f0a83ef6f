"""Plant known defects for every rule R01-R95 (and its lettered parts) into distinct clean households.

Every planted defect is recorded with the rules expected to fire on it, side effects included, so that "engine
findings on the demo == planted" can be tested exactly. The module loops over defect kinds only; each kind picks
its households with vectorised masks.

Phase 1 (:func:`plant_registry`) edits the registry tables; department lists are then derived from the edited
registry; phase 2 (:func:`plant_departments`) edits the department lists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .population import AUDIT_YEAR, _names, _surnames_for

UNIT = {}
for _r in (
    list(range(1, 10))
    + [15]
    + list(range(19, 30))
    + [47]
    + list(range(49, 55))
    + list(range(62, 69))
    + [88, 89, 90, 91, 92, 95]
):
    UNIT[f"R{_r:02d}"] = "人"
for _r in (72, 77, 79):
    UNIT[f"R{_r:02d}"] = "措施"
for _r in range(80, 86):
    UNIT[f"R{_r:02d}"] = "项目"
for _r in range(1, 96):
    UNIT.setdefault(f"R{_r:02d}", "户")

INCOME_ITEMS = [
    "family_planning",
    "dibao_income",
    "tekun_income",
    "pension_income",
    "eco_comp",
    "medical_reimb",
    "other_transfer",
]
AMOUNTS = (
    ["wage", "wage_pwj", "business_income", "business_cost", "property_income", "property_dividend", "transfer_income"]
    + INCOME_ITEMS
    + ["transfer_out", "disposable_recorded", "disposable_pc_recorded"]
)


def _fen(s):
    return np.round(pd.to_numeric(s, errors="coerce").astype(float).fillna(0).to_numpy() * 100).astype(np.int64)


def fix_totals(inc: pd.DataFrame, idx) -> None:
    """Recompute 转移性收入, 家庭可支配收入, 人均可支配收入 of rows ``idx`` from their items (system formula)."""
    if len(idx) == 0:
        return
    r = inc.loc[idx]
    tr = sum(_fen(r[c]) for c in INCOME_ITEMS)
    d = (
        _fen(r["wage"])
        + _fen(r["business_income"])
        - np.abs(_fen(r["business_cost"]))
        + _fen(r["property_income"])
        + tr
        - _fen(r["transfer_out"])
    )
    n = pd.to_numeric(r["n_members"], errors="coerce").fillna(1).to_numpy().astype(float)
    inc.loc[idx, "transfer_income"] = tr / 100.0
    inc.loc[idx, "disposable_recorded"] = d / 100.0
    inc.loc[idx, "disposable_pc_recorded"] = np.floor(d / np.maximum(n, 1) + 0.5) / 100.0


class Planter:
    def __init__(self, t: dict, rng, k: int, facts: pd.DataFrame):
        self.t, self.rng, self.k = t, rng, k
        self.used: set = set()
        self.rows: list[dict] = []
        self.raw: list[tuple] = []  # (table, index label, key, raw text)
        self.quarantine: list[dict] = []
        self.facts = facts
        self.pending: dict[str, list] = {}
        self._labels: dict[str, dict] = {}
        self.features()
        self.used_arr = np.zeros(len(self.f), dtype=bool)
        self._mpos = None

    # -- fast lookups and deferred appends ------------------------------------------------------------------------
    def labels(self, table: str, h: str) -> pd.Index:
        """Index labels of ``table`` rows with 户编号 ``h`` (as of the first lookup; planted households only)."""
        if table not in self._labels:
            df = self.t[table]
            pos = df.groupby("hh_id", sort=False).indices
            self._labels[table] = {k: df.index[v] for k, v in pos.items()}
        lab = self._labels[table].get(h, pd.Index([]))
        return lab[lab.isin(self.t[table].index)]

    def append(self, table: str, row) -> None:
        self.pending.setdefault(table, []).append(dict(row))

    def flush(self) -> None:
        for table, rows in self.pending.items():
            df = self.t[table]
            start = (df.index.max() + 1) if len(df) else 0
            new = pd.DataFrame(rows, index=pd.RangeIndex(start, start + len(rows)))
            self.t[table] = pd.concat([df, new.reindex(columns=df.columns)], axis=0)
        self.pending = {}
        self._mpos = None

    def mark(self, hh_ids) -> None:
        hh_ids = list(hh_ids)
        self.used.update(hh_ids)
        pos = self.f.index.get_indexer(hh_ids)
        self.used_arr[pos[pos >= 0]] = True

    def mpos(self) -> np.ndarray:
        m = self.t["member"]
        if self._mpos is None or len(self._mpos) != len(m):
            self._mpos = self.f.index.get_indexer(m["hh_id"].to_numpy(dtype=object))
        return self._mpos

    # -- features of the clean registry -----------------------------------------------------------------------------
    def features(self):
        t = self.t
        hh, m, inc, ms = t["household"], t["member"], t["income"], t["measure"]
        act = m[m["member_status"] == "正常"]
        hid = act["hh_id"].to_numpy()
        idx = pd.Index(hh["hh_id"].to_numpy())
        cnt = lambda v: pd.Series(np.asarray(v, dtype=float)).groupby(hid).sum().reindex(idx).fillna(0)  # noqa: E731
        f = pd.DataFrame(index=idx)
        h = hh.set_index("hh_id")
        for c in (
            "_county",
            "exit_status",
            "first_year",
            "exit_year",
            "main_cause",
            "_class",
            "labour_type",
            "_dibao",
            "_tekun",
            "_renovated",
            "A",
            "forest_mu",
            "other_causes",
        ):
            f[c] = h[c]
        f["S"] = np.maximum(f["first_year"].astype(int), 2016)
        ss = act["school_status"].astype(object)
        stu = (ss.notna() & (ss != "非在校生")).to_numpy()
        age = act["_age"].to_numpy()
        lab = act["labour_skill"].to_numpy()
        f["n_stu"] = cnt(stu)
        f["n_full"] = cnt(np.isin(lab, ["普通劳动力", "技能劳动力"]) & (age >= 16) & (age <= 64))
        f["n_cap"] = cnt(np.isin(lab, ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力"]))
        f["n_old"] = cnt(age >= 60)
        f["n_ill"] = cnt((act["_chronic"] | act["_major"]).to_numpy())
        f["n_dis"] = cnt(act["_disabled"].to_numpy())
        f["n_severe"] = cnt(act["_severe"].to_numpy())
        f["workers"] = cnt(act["_works"].to_numpy())
        f["posts"] = cnt(act["_post"].to_numpy())
        f["n_dibao"] = cnt(act["dibao"].to_numpy())
        i19 = inc[inc["year"] == AUDIT_YEAR].set_index("hh_id")
        for c in (
            "wage",
            "wage_pwj",
            "dibao_income",
            "tekun_income",
            "pension_income",
            "eco_comp",
            "business_income",
            "family_planning",
            "other_transfer",
        ):
            f["i_" + c] = i19[c].reindex(idx).fillna(0)
        m19 = ms[ms["year"] == AUDIT_YEAR]
        for cat in ("教育帮扶", "残疾人补贴", "低保兜底", "特困供养", "健康帮扶"):
            f["m19_" + cat] = (
                pd.Series(True, index=m19.loc[m19["category"] == cat, "hh_id"].unique())
                .reindex(idx)
                .fillna(False)
                .astype(bool)
            )
        f["health_any"] = (
            pd.Series(True, index=ms.loc[ms["category"] == "健康帮扶", "hh_id"].unique())
            .reindex(idx)
            .fillna(False)
            .astype(bool)
        )
        f["I"] = self.facts["I"].reindex(idx)
        gone19 = (m["member_status"] != "正常").to_numpy() & (m["change_date"].dt.year == AUDIT_YEAR).to_numpy()
        f["removed19"] = pd.Series(gone19).groupby(m["hh_id"].to_numpy()).any().reindex(idx).fillna(False).astype(bool)
        f["stable_n"] = ~pd.Series(m["change_reason"].notna().to_numpy()).groupby(m["hh_id"].to_numpy()).any().reindex(
            idx
        ).fillna(False).astype(bool)
        f["max_birth"] = pd.Series(m["birth_date"].to_numpy()).groupby(m["hh_id"].to_numpy()).max().reindex(idx)
        f["exited"] = f["exit_status"].isin(["已脱贫（享受政策）", "已脱贫（不再享受政策）"])
        self.f = f

    # -- picking ---------------------------------------------------------------------------------------------------
    share = 1.0

    def skip(self) -> bool:
        return self.share < 1 and self.rng.random() > self.share

    def pick(self, mask, k=None) -> list:
        if self.skip():
            return []
        k = self.k if k is None else k
        mask = pd.Series(mask, index=self.f.index) if not isinstance(mask, pd.Series) else mask
        cand = self.f.index[mask.fillna(False).to_numpy().astype(bool) & ~self.used_arr]
        if len(cand) == 0:
            return []
        sel = self.rng.choice(len(cand), size=min(k, len(cand)), replace=False)
        out = sorted(cand[sel].tolist())
        self.mark(out)
        return out

    def pick_members(self, mmask, hmask=None, k=None) -> list:
        """Member index labels (one per household) satisfying ``mmask`` in unused households."""
        if self.skip():
            return []
        k = self.k if k is None else k
        m = self.t["member"]
        arr = np.zeros(len(m), dtype=bool)
        mk = np.asarray(mmask, dtype=bool)
        arr[: len(mk)] = mk[: len(m)]
        mp = self.mpos()
        known = mp >= 0
        ok = np.zeros(len(m), dtype=bool)
        ok[known] = ~self.used_arr[mp[known]]
        if hmask is not None:
            hm = pd.Series(hmask, index=self.f.index).fillna(False).to_numpy().astype(bool)
            ok[known] &= hm[mp[known]]
        mm = arr & ok & (m["member_status"] == "正常").to_numpy()
        cand = m.index[mm]
        if len(cand) == 0:
            return []
        perm = cand[self.rng.permutation(len(cand))]
        first = pd.Series(perm, index=m.loc[perm, "hh_id"].to_numpy())
        first = first[~first.index.duplicated()]
        out = sorted(first.iloc[:k].tolist())
        self.mark(m.loc[out, "hh_id"].tolist())
        return out

    def rec(self, rule, part="", hh=None, person=None, project=None, year=None, note="", county=None, unit=None):
        if county is None:
            county = hh[:6] if isinstance(hh, str) else (project[2:8] if isinstance(project, str) else "")
        self.rows.append(
            {
                "county": county,
                "rule_id": rule,
                "part": part,
                "unit": unit or UNIT[rule],
                "hh_id": hh or "",
                "person_id": person or "",
                "project_id": project or "",
                "year": "" if year is None else int(year),
                "note": note,
            }
        )

    def mrow(self, i):
        return self.t["member"].loc[i]

    def inc_idx(self, hh, year):
        inc = self.t["income"]
        lab = self.labels("income", hh)
        return lab[(inc.loc[lab, "year"] == year).to_numpy()]

    # -- helpers ---------------------------------------------------------------------------------------------------
    def new_id(self, region, birth, male):
        from .population import make_ids

        return make_ids(
            self.rng,
            np.array([region], dtype=object),
            pd.Series([pd.Timestamp(birth)]),
            np.array([male]),
            self.t["taken"],
        )[0]

    def set_id(self, i, new_id, dept_follows=True):
        m = self.t["member"]
        m.loc[i, "id_no"] = new_id
        if dept_follows:
            m.loc[i, "_dept_id"] = new_id
        if m.loc[i, "relation"] == "户主":
            hh = self.t["household"]
            hh.loc[hh["hh_id"] == m.loc[i, "hh_id"], "head_id"] = new_id


def _recheck(first17: str) -> str:
    return first17 + D.check_char(pd.Series([first17])).iloc[0]


def _cols(m):
    ss = m["school_status"].astype(object)
    return dict(
        active=(m["member_status"] == "正常").to_numpy(),
        head=(m["relation"] == "户主").to_numpy(),
        age=m["_age"].to_numpy(),
        sage=m["_sage"].to_numpy(),
        healthy=(m["health"] == "健康").to_numpy(),
        student=(ss.notna() & (ss != "非在校生")).to_numpy(),
        full=m["labour_skill"].isin(["普通劳动力", "技能劳动力"]).to_numpy(),
        weak=(m["labour_skill"] == "弱劳动力或半劳动力").to_numpy(),
        none=m["labour_skill"].isin(["丧失劳动力", "无劳动力"]).to_numpy(),
        works=m["_works"].to_numpy().astype(bool),
        post=m["_post"].to_numpy().astype(bool),
        dis=m["_disabled"].to_numpy().astype(bool),
        severe=m["_severe"].to_numpy().astype(bool),
        flag=((m["dibao"] == True) | (m["tekun"] == True)).to_numpy(),  # noqa: E712
        soldier=(m["soldier"] == True).to_numpy(),  # noqa: E712
        id18ok=m["id_no"].astype(str).str.fullmatch(r"\d{17}[0-9X]").to_numpy(),
    )


# ===============================================================================================================
def plant_registry(P: Planter) -> None:
    t, rng, f = P.t, P.rng, P.f
    hh, m, inc, ms = t["household"], t["member"], t["income"], t["measure"]
    m["_dept_id"] = m["id_no"]
    c = _cols(m)
    plain = (
        c["active"]
        & ~c["head"]
        & c["healthy"]
        & ~c["student"]
        & ~c["soldier"]
        & ~c["dis"]
        & ~c["flag"]
        & (c["age"] >= 20)
        & (c["age"] <= 59)
        & c["full"]
        & ~c["works"]
        & ~c["post"]
        & c["id18ok"]
    )
    plain = plain & (m["relation"].isin(["配偶", "之子", "之女", "之儿媳"]).to_numpy())
    hidx = lambda h: P.labels("household", h)  # noqa: E731

    # ---------------- identity -----------------------------------------------------------------------------------
    inactive = (m["member_status"] == "自然减少").to_numpy()
    mp = P.mpos()
    cand = m.index[inactive & (mp >= 0) & ~P.used_arr[np.maximum(mp, 0)]]
    cand = cand[~m.loc[cand, "hh_id"].duplicated().to_numpy()]
    sel = sorted(rng.choice(cand, size=min(P.k * 2, len(cand)), replace=False).tolist())
    for j, i in enumerate(sel):
        bad = ["", m.loc[i, "id_no"][:16], m.loc[i, "id_no"][:16] + "AB"][j % 3]
        m.loc[i, "id_no"] = bad if bad else None
        P.mark([m.loc[i, "hh_id"]])
        P.rec(
            "R01",
            "",
            m.loc[i, "hh_id"],
            m.loc[i, "person_id"],
            note="已减少成员证件号码" + ("为空" if not bad else "格式错误"),
        )
    for i in P.pick_members(plain):
        old = m.loc[i, "id_no"]
        cc = D.CHECK_CHARS
        wrong = cc[(cc.index(old[17]) + 3) % 11]
        P.set_id(i, old[:17] + wrong)
        P.rec("R02", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="校验码错误（部门数据同号）")
    for j, i in enumerate(P.pick_members(plain)):
        old = m.loc[i, "id_no"]
        body = [old[:6] + old[6:10] + "13" + old[12:14], old[:6] + "2021" + old[10:14], old[:6] + "19000101"][j % 3]
        P.set_id(i, _recheck(body + old[14:17]))
        P.rec(
            "R03",
            "",
            m.loc[i, "hh_id"],
            m.loc[i, "person_id"],
            note=["月份13", "出生日期晚于基准日", "年龄超过110岁"][j % 3],
        )
    for i in P.pick_members(plain):
        old = m.loc[i, "id_no"]
        d = int(old[16])
        nd = d + 1 if d % 2 == 0 else d - 1
        P.set_id(i, _recheck(old[:16] + str(nd)))
        P.rec("R04", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="证件号码第17位性别与性别栏不符")
    for j, i in enumerate(P.pick_members(plain)):
        if j % 2 == 0:
            m.loc[i, "birth_date"] = m.loc[i, "birth_date"] + pd.Timedelta(days=40)
            note = "出生日期与证件号码差40天"
        else:
            b = m.loc[i, "birth_date"]
            m.loc[i, "birth_date"] = pd.NaT
            P.raw.append(("member", i, "birth_date", f"{b.year}-02-30"))
            note = "出生日期不是有效日期"
        P.rec("R05", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note=note)
    born19 = (m["birth_date"] < pd.Timestamp("2000-01-01")).to_numpy() & (
        m["birth_date"] >= pd.Timestamp("1900-01-01")
    ).to_numpy()
    for i in P.pick_members(plain & born19):
        old = m.loc[i, "id_no"]
        m.loc[i, "id_no"] = old[:6] + old[8:17]
        m.loc[i, "_dept_id"] = old
        m.loc[i, "_as_number"] = True
        P.rec("R06", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="15位身份证号（以数字存储）")
    mild = c["active"] & c["dis"] & ~c["severe"] & ~c["head"] & c["id18ok"]
    for j, i in enumerate(P.pick_members(mild, k=P.k * 2)):
        dn = m.loc[i, "disability_no"]
        m.loc[i, "disability_no"] = dn[:19] if j % 2 == 0 else dn[:19] + "5"
        P.rec("R07", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残疾证号格式错误")
    for i in P.pick_members(mild):
        dn = m.loc[i, "disability_no"]
        cc = "10X98765432"
        m.loc[i, "disability_no"] = dn[:17] + cc[(cc.index(dn[17]) + 5) % 11] + dn[18:]
        P.rec("R07", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残疾证号前18位校验码错误")
        P.rec("R07", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="副作用：前18位与本人证件号码不符")
    others = m.index[c["active"] & c["id18ok"] & ~c["dis"]]
    for i in P.pick_members(mild):
        o = others[rng.integers(len(others))]
        m.loc[i, "disability_no"] = m.loc[o, "id_no"] + m.loc[i, "disability_no"][18:]
        P.rec("R07", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残疾证号为他人证件号码")

    # R08 / R09: the same person registered in two households
    h2ok = (
        (f["_class"] == "有劳动能力") & (f["labour_type"] == "有劳动能力") & ~f["_dibao"] & ~f["_tekun"] & (f["A"] <= 5)
    )
    for rule in ("R08", "R09"):
        for i in P.pick_members(plain, hmask=h2ok & (f["A"] >= 2)):
            src = m.loc[i]
            county = src["_county"]
            same = (f["_county"] == county) if rule == "R08" else (f["_county"] != county)
            tgt = P.pick(h2ok & same, k=1)
            if not tgt:
                continue
            h2 = tgt[0]
            row = src.copy()
            row["hh_id"] = h2
            row["_county"] = h2[:6]
            row["relation"] = "其他"
            row["person_id"] = h2 + "31"
            row["_slot"] = 30
            P.append("member", row)
            hi = hidx(h2)
            hh.loc[hi, "hh_size"] = hh.loc[hi, "hh_size"] + 1
            ii = inc.index[inc["hh_id"] == h2]
            inc.loc[ii, "n_members"] = inc.loc[ii, "n_members"] + 1
            fix_totals(inc, ii)
            for h, p in ((src["hh_id"], src["person_id"]), (h2, row["person_id"])):
                P.rec(rule, "", h, p, note="同一证件号码在两户登记" + ("（跨县）" if rule == "R09" else ""))
    c = _cols(m)

    # ---------------- household structure ------------------------------------------------------------------------
    for h in P.pick(f["A"] >= 1):
        row = hh.loc[hidx(h)[0]].copy()
        row["phone"] = "13800000000"
        P.append("household", row)
        P.rec("R10", "", h, note="户编号重复（两行）")
        P.rec("R10", "", h, note="户编号重复（两行）")
    for j, i in enumerate(P.pick_members(plain)):
        src = m.loc[i]
        row = src.copy()
        orphan = src["hh_id"][:6] + "99" + src["hh_id"][8:]
        row["hh_id"] = orphan
        row["person_id"] = orphan + "01"
        row["relation"] = "户主"
        row["name"] = _names(rng, _surnames_for(rng, np.array([src["_county"]])), np.array([src["sex"] == "男"]))[0]
        nid = P.new_id(src["id_no"][:6], src["birth_date"], src["sex"] == "男")
        row["id_no"] = nid
        row["_dept_id"] = nid
        row["disability_no"] = None
        P.append("member", row)
        P.rec("R11", "", orphan, row["person_id"], note="成员所属户不存在")
    c = _cols(m)
    # R12 (and R69): households whose members all left; side effects computed from their audit-year income
    r12ok = (
        (f["exit_status"] == "未脱贫")
        & ~f["m19_教育帮扶"]
        & ~f["m19_残疾人补贴"]
        & ~f["m19_低保兜底"]
        & ~f["m19_特困供养"]
    )
    for rule in ("R12", "R69"):
        limit = pd.Timestamp("2019-05-19" if rule == "R12" else "2017-06-14")
        for h in P.pick(r12ok & (f["max_birth"] <= limit) & (f["stable_n"] if rule == "R69" else True)):
            lab = P.labels("member", h)
            mi = lab[(m.loc[lab, "member_status"] == "正常").to_numpy()]
            if rule == "R12":
                m.loc[mi, "member_status"] = "自然减少"
                m.loc[mi, "change_reason"] = "迁出"
                m.loc[mi, "change_date"] = pd.Timestamp("2019-05-20")
                P.rec("R12", "", h, note="全部成员迁出（自然减少）")
            else:
                m.loc[mi, "member_status"] = "清退"
                m.loc[mi, "change_reason"] = "错误"
                m.loc[mi, "change_date"] = pd.Timestamp("2017-06-15")
                P.rec("R69", "", h, note="全户清退后仍有2018、2019年措施")
                P.rec("R12", "", h, note="副作用：全户清退，无正常成员")
                P.rec("R38", "", h, year=AUDIT_YEAR, note="副作用：年度家庭人口数大于正常成员数")
            fr = f.loc[h]
            if fr["i_wage"] > 0:
                P.rec("R42", "a", h, year=AUDIT_YEAR, note="副作用：有工资性收入但无正常成员务工")
            if fr["i_wage_pwj"] > 0:
                P.rec("R43", "a", h, year=AUDIT_YEAR, note="副作用：有公益性岗位收入但无岗位人员")
            for col in ("dibao_income", "tekun_income", "pension_income"):
                if fr["i_" + col] > 0:
                    P.rec("R46", "a", h, year=AUDIT_YEAR, note=f"副作用：{col} > 0 但无正常成员享受")
    c = _cols(m)
    # R13
    for h in P.pick(f["A"] >= 2):
        lab = P.labels("member", h)
        i = lab[((m.loc[lab, "relation"] == "户主") & (m.loc[lab, "member_status"] == "正常")).to_numpy()][0]
        m.loc[i, "relation"] = "之兄弟姐妹"
        P.rec("R13", "", h, note="无户主")
    sp_h = set(m.loc[(m["relation"] == "配偶").to_numpy() & c["active"], "hh_id"])
    for h in P.pick(f.index.isin(list(sp_h))):
        lab = P.labels("member", h)
        i = lab[((m.loc[lab, "relation"] == "配偶") & (m.loc[lab, "member_status"] == "正常")).to_numpy()][0]
        m.loc[i, "relation"] = "户主"
        P.rec("R13", "", h, note="多个户主")
    dil = set(m.loc[(m["relation"] == "之儿媳").to_numpy() & c["active"], "hh_id"]) & sp_h
    for h in P.pick(f.index.isin(list(dil))):
        lab = P.labels("member", h)
        i = lab[((m.loc[lab, "relation"] == "之儿媳") & (m.loc[lab, "member_status"] == "正常")).to_numpy()][0]
        m.loc[i, "relation"] = "配偶"
        P.rec("R13", "", h, note="配偶多于1人")
    # R14: spouse made male (ID follows)
    sp = (m["relation"] == "配偶").to_numpy() & (m["sex"] == "女").to_numpy() & c["id18ok"] & ~c["dis"]
    for i in P.pick_members(sp):
        old = m.loc[i, "id_no"]
        d = int(old[16])
        P.set_id(i, _recheck(old[:16] + str(d + 1 if d % 2 == 0 else d)))
        m.loc[i, "sex"] = "男"
        P.rec("R14", "", m.loc[i, "hh_id"], note="户主与配偶同为男性")
    son = (m["relation"] == "之子").to_numpy() & c["id18ok"] & ~c["dis"]
    for i in P.pick_members(son):
        old = m.loc[i, "id_no"]
        d = int(old[16])
        P.set_id(i, _recheck(old[:16] + str(d - 1 if d % 2 == 1 else d)))
        m.loc[i, "sex"] = "女"
        P.rec("R15", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="之子性别为女")
    mh = set(m.loc[c["head"] & (m["sex"] == "男").to_numpy() & c["active"], "hh_id"])
    mom = (m["relation"] == "之母").to_numpy() & m["hh_id"].isin(mh).to_numpy()
    for i in P.pick_members(mom):
        m.loc[i, "relation"] = "之婆婆"
        P.rec("R15", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="户主为男性却有之婆婆")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "hh_size"] = hh.loc[hidx(h), "hh_size"] + 1
        P.rec("R16", "", h, note="家庭人口数比正常成员多1")
    notren = ~f["_renovated"]
    for h in P.pick(notren):
        o = others[rng.integers(len(others))]
        hh.loc[hidx(h), "head_id"] = m.loc[o, "id_no"]
        P.rec("R17", "a", h, note="户主证件号码为他人号码")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "head_name"] = hh.loc[hidx(h), "head_name"].iloc[0] + "明"
        P.rec("R17", "b", h, note="户主姓名与户主成员不符")
    for j, h in enumerate(P.pick(f["A"] >= 1, k=P.k * 2)):
        col = ["village", "id_standard", "labour_type", "hh_type", "house_area", "road_type"][j % 6]
        hh.loc[hidx(h), col] = None if col != "house_area" else np.nan
        if col == "id_standard":
            P.raw.append(("household", hidx(h)[0], "id_standard", "国标"))
        P.rec("R18", "", h, note=f"关键信息缺失：{col}")

    # ---------------- person attributes --------------------------------------------------------------------------
    c = _cols(m)
    for i in P.pick_members(c["none"] & (c["age"] >= 60)):
        m.loc[i, "labour_skill"] = None
        P.rec("R19", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="劳动技能为空")
    nocause = f["main_cause"].isin(["缺资金", "缺技术", "缺劳力", "其他", "缺土地"])
    for i in P.pick_members(c["healthy"] & ~c["head"], hmask=nocause):
        m.loc[i, "health"] = None
        P.raw.append(("member", i, "health", "良好"))
        P.rec("R19", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="健康状况无法识别（良好）")
    for i in P.pick_members(~c["student"] & (c["sage"] >= 16) & (c["sage"] <= 22)):
        m.loc[i, "school_status"] = None
        P.rec("R19", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="在校生状况为空")
    for i in P.pick_members(~c["student"] & (c["sage"] >= 25) & ~c["head"]):
        m.loc[i, "education"] = None
        P.rec("R19", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="文化程度为空")
    chron = (m["health"] == "长期慢性病").to_numpy()
    for i in P.pick_members(chron):
        m.loc[i, "health"] = "健康,长期慢性病"
        P.rec("R19", "d", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="健康与疾病并存")
    prim = (m["school_status"] == "小学").to_numpy() & (c["sage"] >= 7) & (c["sage"] <= 10)
    for j, i in enumerate(P.pick_members(prim)):
        m.loc[i, "school_status"] = "七年级" if j % 2 == 0 else "学前教育"
        P.rec("R20", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="在校生状况与年龄不符")
    for i in P.pick_members(prim):
        m.loc[i, "education"] = "初中"
        P.rec("R21", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="10岁以下文化程度初中")
    for i in P.pick_members(prim):
        m.loc[i, "out_of_school_reason"] = "家庭困难"
        P.rec("R22", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="在校生填写未上学原因")
    for i in P.pick_members(~c["student"] & (c["age"] >= 25) & (c["age"] <= 50)):
        m.loc[i, "out_of_school_reason"] = "外出务工"
        P.rec("R22", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="非义务教育年龄填写未上学原因")
    edu_ok = (f["n_stu"] >= 2) | (~f["m19_教育帮扶"] & (f["main_cause"] != "因学"))
    for part, reason in (("c", "因病"), ("d", "因残")):
        for i in P.pick_members(prim & c["healthy"], hmask=edu_ok):
            m.loc[i, "school_status"] = "非在校生"
            m.loc[i, "out_of_school_reason"] = reason
            P.rec("R22", part, m.loc[i, "hh_id"], m.loc[i, "person_id"], note=f"未上学原因{reason}但健康状况不符")
    capok = f["labour_type"] == "有劳动能力"
    for i in P.pick_members(c["student"] & (c["age"] >= 12) & (c["age"] <= 15), hmask=capok):
        m.loc[i, "labour_skill"] = "弱劳动力或半劳动力"
        P.rec("R23", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="16岁以下有劳动技能")
    for i in P.pick_members(c["weak"] & (c["age"] >= 66), hmask=capok & (f["_class"] == "有劳动能力")):
        m.loc[i, "labour_skill"] = "普通劳动力"
        P.rec("R23", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="65岁以上普通劳动力")
    for i in P.pick_members(c["student"] & (c["age"] >= 16) & ~c["dis"], hmask=capok & (f["_class"] == "有劳动能力")):
        m.loc[i, "labour_skill"] = "普通劳动力"
        P.rec("R24", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="在校生为普通劳动力")
    for i in P.pick_members(plain, hmask=f["n_full"] >= 2):
        m.loc[i, "labour_skill"] = "弱劳动力或半劳动力"
        P.rec("R25", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="健康青壮年为弱劳动力")
    for i in P.pick_members(
        c["severe"] & (c["age"] >= 16) & (c["age"] <= 59) & ~c["head"] & ~c["student"],
        hmask=capok & (f["_class"] == "有劳动能力"),
    ):
        m.loc[i, "labour_skill"] = "普通劳动力"
        P.rec("R25", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="重度残疾为普通劳动力")
    for i in P.pick_members(mild):
        m.loc[i, "disability_no"] = None
        P.rec("R26", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残疾无残疾证号")
    for i in P.pick_members(plain):
        m.loc[i, "disability_no"] = m.loc[i, "id_no"] + "53"
        P.rec("R26", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="健康人员有残疾证号")
    c = _cols(m)
    wk = c["works"] & c["active"]
    for j, i in enumerate(P.pick_members(wk)):
        m.loc[i, "work_months"] = [13.0, -2.0][j % 2]
        P.rec("R27", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="务工时间超出0-12")
    for i in P.pick_members(wk, hmask=f["workers"] >= 1):
        m.loc[i, "work_months"] = 0.0
        P.rec("R27", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="务工但务工时间为0")
    for i in P.pick_members(plain, hmask=f["i_wage"] > 0):
        m.loc[i, "work_months"] = 3.0
        P.rec("R27", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="未务工但有务工时间")
    for i in P.pick_members(c["none"] & (c["age"] >= 60) & (c["age"] <= 80), hmask=f["i_wage"] > 0):
        m.loc[i, "work_status"] = "乡（镇）内务工"
        m.loc[i, "work_months"] = 3.0
        P.rec("R28", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="丧失劳动力人员务工")
    for i in P.pick_members(c["student"] & (c["age"] >= 13) & (c["age"] <= 15), hmask=f["i_wage"] > 0):
        m.loc[i, "work_status"] = "县外省内务工"
        m.loc[i, "work_months"] = 2.0
        P.rec("R28", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="16岁以下务工")
        P.rec("R28", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="副作用：在校生务工")
        P.rec("R28", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="副作用：在校生劳动技能为无劳动力")
    for i in P.pick_members(c["student"] & (c["age"] >= 16), hmask=f["i_wage"] > 0):
        m.loc[i, "work_status"] = "县外省内务工"
        m.loc[i, "work_months"] = 2.0
        P.rec("R28", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="在校生务工")
        P.rec("R28", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="副作用：在校生劳动技能为无劳动力")
    posth = f["posts"] >= 1
    for i in P.pick_members(c["weak"] & (c["age"] >= 70) & ~c["post"] & ~c["works"], hmask=posth):
        m.loc[i, "pwj_post"] = "保洁员"
        m.loc[i, "pwj_months"] = 8.0
        P.rec("R29", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="70岁以上公益性岗位")
    for i in P.pick_members(c["student"] & (c["age"] >= 16), hmask=posth):
        m.loc[i, "pwj_post"] = "护林员"
        m.loc[i, "pwj_months"] = 6.0
        P.rec("R29", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="在校生公益性岗位")
    for part, col, val, note in (
        ("c", "pwj_months", np.nan, "有岗位无月数"),
        ("d", "pwj_post", None, "有月数无岗位"),
        ("e", "pwj_months", 14.0, "岗位月数超过12"),
    ):
        for i in P.pick_members(c["post"]):
            m.loc[i, col] = val
            P.rec("R29", part, m.loc[i, "hh_id"], m.loc[i, "person_id"], note=note)
    for h in P.pick((f["labour_type"] == "有劳动能力") & (f["n_cap"] >= 1)):
        hh.loc[hidx(h), "labour_type"] = "无劳动能力"
        P.rec("R30", "", h, note="劳动能力类型与成员不符")
    for part, cause, mask, meas in (
        ("a", "因病", f["n_ill"] == 0, "健康帮扶"),
        ("b", "因残", f["n_dis"] == 0, "健康帮扶"),
        ("c", "因学", f["n_stu"] == 0, None),
    ):
        for h in P.pick(
            mask
            & (f["main_cause"].isin(["缺资金", "缺劳力", "其他", "缺土地"]))
            & ~f["other_causes"].fillna("").str.contains(cause)
        ):
            hh.loc[hidx(h), "main_cause"] = cause
            if meas:
                P.append(
                    "measure",
                    {
                        "hh_id": h,
                        "year": AUDIT_YEAR,
                        "category": meas,
                        "content": "家庭医生签约服务",
                        "amount": 300.0,
                        "start_date": pd.Timestamp("2019-03-01"),
                        "end_date": pd.Timestamp("2019-04-01"),
                        "status": "已完成",
                        "stage": None,
                        "project_id": None,
                        "_county": h[:6],
                    },
                )
            else:
                P.rec("R78", "", h, note="副作用：因学户无教育帮扶措施")
            P.rec("R31", part, h, note=f"主要致贫原因{cause}与家庭情况不符")
    for h in P.pick(f["other_causes"].isna()):
        hh.loc[hidx(h), "other_causes"] = (
            f.loc[h, "main_cause"] + ",缺资金" if f.loc[h, "main_cause"] != "缺资金" else "缺资金"
        )
        P.rec("R31", "d", h, note="其他致贫原因含主要致贫原因")

    # ---------------- income -------------------------------------------------------------------------------------
    s16 = f["S"] == 2016
    for h in P.pick(s16, k=P.k):
        r = inc.loc[P.inc_idx(h, 2018)[0]].copy()
        orphan = h[:6] + "98" + h[8:]
        r["hh_id"] = orphan
        P.append("income", r)
        P.mark([h])
        P.rec("R32", "a", orphan, year=2018, note="收入记录的户编号不存在")
    for h in P.pick(s16):
        r = inc.loc[P.inc_idx(h, 2017)[0]].copy()
        P.append("income", r)
        P.rec("R32", "b", h, year=2017, note="同一户同一年度两条收入记录")
        P.rec("R32", "b", h, year=2017, note="同一户同一年度两条收入记录")
    for h in P.pick(s16):
        inc = t["income"] = inc.drop(index=P.inc_idx(h, 2017))
        P.rec("R32", "c", h, year=2017, note="缺少2017年收入记录")
    for h in P.pick(s16):
        r = inc.loc[P.inc_idx(h, 2016)[0]].copy()
        r["year"] = 2015
        P.append("income", r)
        P.rec("R32", "d", h, year=2015, note="收入年度超出范围")
    for h in P.pick(s16):
        i = P.inc_idx(h, 2016)
        inc.loc[i, [c_ for c_ in AMOUNTS]] = np.nan
        P.rec("R32", "e", h, year=2016, note="收入主要项全部为空")
        P.rec("R36", "", h, year=2016, note="副作用：家庭可支配收入为空")
        P.rec("R37", "", h, year=2016, note="副作用：人均可支配收入为空")
        P.rec("R39", "a", h, year=2016, note="副作用：人均收入为0")
    for h in P.pick(s16, k=P.k):
        i = P.inc_idx(h, 2018)
        tout = float(inc.loc[i, "transfer_out"].iloc[0])
        inc.loc[i, "transfer_out"] = -(tout if tout > 0 else 60.0)
        fix_totals(inc, i)
        P.rec("R33", "", h, year=2018, note="转移性支出录为负数")
    for h in P.pick((f["i_business_income"] > 0) & s16):
        i = P.inc_idx(h, 2018)
        inc.loc[i, "business_cost"] = -inc.loc[i, "business_cost"]
        P.rec("R34", "", h, year=2018, note="生产经营性支出录为负数")
    for h in P.pick(s16):
        i = P.inc_idx(h, 2017)
        inc.loc[i, "transfer_income"] = inc.loc[i, "transfer_income"] + 50
        r = inc.loc[i]
        d = (
            r["wage"]
            + r["business_income"]
            - r["business_cost"].abs()
            + r["property_income"]
            + r["transfer_income"]
            - r["transfer_out"]
        )
        inc.loc[i, "disposable_recorded"] = np.round(d, 2)
        inc.loc[i, "disposable_pc_recorded"] = np.round(d / r["n_members"], 2)
        P.rec("R35", "a", h, year=2017, note="转移性收入与分项合计差50元")
    for h in P.pick(s16 & (f["i_wage_pwj"] > 0)):
        i = P.inc_idx(h, 2017)
        inc.loc[i, "wage_pwj"] = inc.loc[i, "wage"] + 100
        P.rec("R35", "b", h, year=2017, note="公益性岗位收入大于工资性收入")
    for h in P.pick(s16):
        i = P.inc_idx(h, 2017)
        if inc.loc[i, "property_income"].iloc[0] <= 0:
            inc.loc[i, "property_dividend"] = 200.0
        else:
            inc.loc[i, "property_dividend"] = inc.loc[i, "property_income"] + 200
        P.rec("R35", "c", h, year=2017, note="分红收入大于财产性收入")
    for j, h in enumerate(P.pick(s16)):
        i = P.inc_idx(h, 2017)
        inc.loc[i, "disposable_recorded"] = np.nan if j == 0 else inc.loc[i, "disposable_recorded"] + 50
        P.rec("R36", "", h, year=2017, note="家庭可支配收入计算错误" if j else "家庭可支配收入为空")
    for j, h in enumerate(P.pick(s16)):
        i = P.inc_idx(h, 2017)
        inc.loc[i, "disposable_pc_recorded"] = np.nan if j == 0 else inc.loc[i, "disposable_pc_recorded"] + 30
        P.rec("R37", "", h, year=2017, note="人均可支配收入计算错误" if j else "人均可支配收入为空")
    for h in P.pick(f["A"] >= 4):
        i = P.inc_idx(h, AUDIT_YEAR)
        inc.loc[i, "n_members"] = inc.loc[i, "n_members"] + 2
        fix_totals(inc, i)
        P.rec("R38", "", h, year=AUDIT_YEAR, note="年度家庭人口数比正常成员多2")
    for h in P.pick(s16):
        i = P.inc_idx(h, 2016)
        r = inc.loc[i].iloc[0]
        d = r["wage"] + r["business_income"] - abs(r["business_cost"]) + r["property_income"] + r["transfer_income"]
        inc.loc[i, "transfer_out"] = np.round(d + 500, 2)
        fix_totals(inc, i)
        P.rec("R39", "a", h, year=2016, note="人均可支配收入为负")
    wage_only = s16 & (f["i_wage"] > 2000) & (f["i_wage_pwj"] == 0)

    def move_to_other(h, year, col, newval):
        i = P.inc_idx(h, year)
        old = inc.loc[i, col].iloc[0]
        inc.loc[i, col] = newval
        inc.loc[i, "other_transfer"] = np.round(inc.loc[i, "other_transfer"].iloc[0] + (old - newval), 2)
        fix_totals(inc, i)

    for part, col, mask, val in (
        ("b", "wage", wage_only, 250.0),
        ("c", "dibao_income", s16 & (f["i_dibao_income"] > 0), 150.0),
        ("d", "tekun_income", s16 & (f["i_tekun_income"] > 0), 150.0),
        ("e", "family_planning", s16 & (f["i_family_planning"] > 0), 60.0),
        ("f", "pension_income", s16 & (f["i_pension_income"] > 0), 50.0),
    ):
        for h in P.pick(mask):
            move_to_other(h, 2016, col, val)
            P.rec("R39", part, h, year=2016, note=f"{col}金额过小")
    for h in P.pick(s16 & (f["i_business_income"] > 0)):
        i = P.inc_idx(h, 2017)
        inc.loc[i, "business_cost"] = 0.0
        fix_totals(inc, i)
        P.rec("R40", "", h, year=2017, note="有经营收入无经营支出")
    for h in P.pick(f["i_eco_comp"] > 0):
        hh.loc[hidx(h), ["forest_mu", "grain_to_green_mu"]] = 0.0
        P.rec("R41", "", h, year=AUDIT_YEAR, note="有生态补偿金但无林地")
    for h in P.pick((f["workers"] >= 1) & (f["posts"] == 0)):
        lab = P.labels("member", h)
        mi = lab[m.loc[lab, "_works"].to_numpy().astype(bool)]
        m.loc[mi, "work_status"] = "未务工"
        m.loc[mi, "work_months"] = 0.0
        P.rec("R42", "a", h, year=AUDIT_YEAR, note="有工资性收入但无务工人员")
    for h in P.pick((f["workers"] >= 1) & (f["posts"] == 0)):
        move_to_other(h, AUDIT_YEAR, "wage", 0.0)
        P.rec("R42", "b", h, year=AUDIT_YEAR, note="有务工人员但工资性收入为0")
    for h in P.pick((f["posts"] >= 1) & (f["workers"] >= 1)):
        lab = P.labels("member", h)
        mi = lab[m.loc[lab, "_post"].to_numpy().astype(bool)]
        m.loc[mi, "pwj_post"] = None
        m.loc[mi, "pwj_months"] = np.nan
        P.rec("R43", "a", h, year=AUDIT_YEAR, note="有公益性岗位收入但无岗位人员")
    for h in P.pick(f["posts"] >= 1):
        inc.loc[P.inc_idx(h, AUDIT_YEAR), "wage_pwj"] = 0.0
        P.rec("R43", "b", h, year=AUDIT_YEAR, note="有岗位人员但公益性岗位收入为0")
    for j, h in enumerate(
        P.pick(
            s16
            & f["stable_n"]
            & ((f["i_wage"] == 0) | (f["i_wage"] > 2500))
            & (f["i_family_planning"] == 0)
            & (f["i_dibao_income"] == 0)
            & (f["i_tekun_income"] == 0),
            k=P.k * 2,
        )
    ):
        i = P.inc_idx(h, 2016)
        fac = 0.2 if j % 2 == 0 else 3.0
        for col in AMOUNTS[:-3]:
            inc.loc[i, col] = np.round(inc.loc[i, col] * fac, 2)
        fix_totals(inc, i)
        P.rec("R44", "", h, year=2017, note="2017年人均收入较2016年" + ("增长超过3倍" if fac < 1 else "下降超过一半"))

    # ---------------- social security ----------------------------------------------------------------------------
    gen = ~f["_dibao"] & ~f["_tekun"] & (f["A"] >= 1)
    for part, typ in (("a", "低保"), ("b", "特困供养")):
        for h in P.pick(gen):
            ex = f.loc[h, "exited"]
            hh.loc[hidx(h), "hh_type"] = typ + ("脱贫户" if ex else "贫困户")
            P.rec("R45", part, h, note=f"贫困户属性为{typ}但无成员享受")
    for h in P.pick(f["_dibao"] & (f["A"] >= 1)):
        ex = f.loc[h, "exited"]
        hh.loc[hidx(h), "hh_type"] = "一般脱贫户" if ex else "一般贫困户"
        P.rec("R45", "c", h, note="一般户有成员享受低保")
    old_dib = (m["dibao"] == True).to_numpy() & (c["age"] >= 60)  # noqa: E712
    for i in P.pick_members(old_dib):
        h = m.loc[i, "hh_id"]
        m.loc[i, "tekun"] = True
        ii = P.inc_idx(h, AUDIT_YEAR)
        inc.loc[ii, "tekun_income"] = 9600.0
        fix_totals(inc, ii)
        P.rec("R45", "d", h, note="同一成员同时享受低保和特困")
    for h in P.pick(gen & (f["i_dibao_income"] == 0)):
        ii = P.inc_idx(h, AUDIT_YEAR)
        inc.loc[ii, "dibao_income"] = 3600.0
        fix_totals(inc, ii)
        P.rec("R46", "a", h, year=AUDIT_YEAR, note="有低保金但无享受低保成员")
    for h in P.pick(f["_dibao"] & (f["i_dibao_income"] > 0)):
        move_to_other(h, AUDIT_YEAR, "dibao_income", 0.0)
        P.rec("R46", "b", h, year=AUDIT_YEAR, note="有低保成员但低保金为0")
    for i in P.pick_members(plain, hmask=gen):
        h = m.loc[i, "hh_id"]
        m.loc[i, "tekun"] = True
        hh.loc[hidx(h), "hh_type"] = "特困供养脱贫户" if f.loc[h, "exited"] else "特困供养贫困户"
        ii = P.inc_idx(h, AUDIT_YEAR)
        inc.loc[ii, "tekun_income"] = 9600.0
        fix_totals(inc, ii)
        P.rec("R47", "", h, m.loc[i, "person_id"], note="特困供养人员为健康青壮年")
    # R48 and the verdict 兜底未落实: no-labour households lose 低保
    nolab = (f["n_cap"] == 0) & f["_dibao"] & (f["A"] >= 1)
    for h in P.pick(nolab & f["exited"], k=P.k) + P.pick(nolab & ~f["exited"], k=1):
        mi = P.labels("member", h)
        m.loc[mi, "dibao"] = False
        hh.loc[hidx(h), "hh_type"] = "一般脱贫户" if f.loc[h, "exited"] else "一般贫困户"
        move_to_other(h, AUDIT_YEAR, "dibao_income", 0.0)
        lab = P.labels("measure", h)
        ms.loc[lab[(ms.loc[lab, "category"] == "低保兜底").to_numpy()], "category"] = "资产收益"
        P.rec("R48", "", h, note="无劳动能力户未纳入低保特困")
    pens2 = f["n_old"] >= 2
    for i in P.pick_members(c["age"] >= 60, hmask=pens2):
        m.loc[i, "pension_receiving"] = False if rng.random() < 0.5 else None
        P.rec("R49", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="60岁以上未领取养老金")
    for i in P.pick_members(plain):
        m.loc[i, "ins_employee"] = True
        P.rec("R50", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="重复参加基本医疗保险")
    for i in P.pick_members(c["severe"], hmask=f["m19_残疾人补贴"] & (f["n_severe"] == 1)):
        h = m.loc[i, "hh_id"]
        lab = P.labels("measure", h)
        ms.loc[lab[(ms.loc[lab, "category"] == "残疾人补贴").to_numpy()], "category"] = "其他"
        P.rec("R51", "", h, m.loc[i, "person_id"], note="重度残疾人无残疾人补贴措施")

    # ---------------- basic needs (steered to exited households for the verdicts) --------------------------------
    ex_ok = f["exited"] & (f["I"] >= 8400)
    ex_low = f["exited"] & (f["I"] >= 4000) & (f["I"] < 8400) & (f["_class"] != "无劳动能力")
    safety = f["exited"] & (f["_class"] == "无劳动能力") & (f["_dibao"] | f["_tekun"]) & (f["I"] >= 4000)
    for i in P.pick_members(prim, hmask=edu_ok & ex_ok):
        m.loc[i, "school_status"] = "非在校生"
        P.rec("R52", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="义务教育阶段适龄儿童未在校")
    for j, i in enumerate(
        P.pick_members(c["active"] & ~c["soldier"], hmask=(ex_ok if True else None), k=P.k)
        + P.pick_members(c["active"] & ~c["soldier"], hmask=safety, k=2)
    ):
        m.loc[i, "ins_resident"] = False if j % 2 == 0 else None
        m.loc[i, "ins_employee"] = False
        P.rec("R53", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="未参加基本医疗保险")
        P.rec("R90", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="副作用：医保无参保记录")
    for i in P.pick_members((m["health"].astype(str).str.contains("患有大病")).to_numpy() & ~c["soldier"]):
        m.loc[i, "ins_critical"] = False
        P.rec("R54", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="大病患者未参加大病保险")
    for h in P.pick((f["n_ill"] >= 1) & f["m19_健康帮扶"] & ~f["main_cause"].isin(["因病", "因残"])):
        lab = P.labels("measure", h)
        ms.loc[
            lab[((ms.loc[lab, "category"] == "健康帮扶") & (ms.loc[lab, "year"] == AUDIT_YEAR)).to_numpy()], "category"
        ] = "其他"
        P.rec("R55", "", h, note="患病成员户无健康帮扶措施")
    nr = ~f["_renovated"]
    for h in P.pick(nr & ex_low) + P.pick(nr & ex_ok, k=1):
        hh.loc[hidx(h), ["unsafe_house", "house_level"]] = [True, "C"]
        P.rec("R56", "a", h, note="危房户（未改造）")
        P.rec("R56", "b", h, note="危房级别C")
    for h in P.pick(nr & ex_ok):
        hh.loc[hidx(h), "house_area"] = 0.0
        P.rec("R56", "c", h, note="住房面积为0")
    for part, vals, extra in (
        ("a", [False, "D"], ("R56", "b")),
        ("b", [True, "B"], ("R56", "a")),
        ("c", [True, None], ("R56", "a")),
    ):
        for h in P.pick(nr & ex_ok):
            hh.loc[hidx(h), ["unsafe_house", "house_level"]] = vals
            P.rec("R57", part, h, note="危房标识与级别矛盾")
            P.rec(extra[0], extra[1], h, note="副作用：住房安全无保障")
    for part, col, val, mask in (("a", "safe_water", False, ex_ok), ("b", "water_difficulty", True, safety)):
        for h in P.pick(mask):
            hh.loc[hidx(h), col] = val
            P.rec("R58", part, h, note="饮水安全未解决")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "power_living"] = False
        P.rec("R59", "", h, note="未通生活用电")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "road_type"] = "泥土路"
        P.rec("R60", "a", h, note="入户路为泥土路")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "road_distance_km"] = 8.5
        P.rec("R60", "b", h, note="距主干路8.5公里")
    for j, h in enumerate(P.pick(f["A"] >= 1)):
        hh.loc[hidx(h), "road_distance_km"] = [65.0, -1.0][j % 2]
        P.rec("R61", "a", h, note="距离数值异常")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "arable_mu"] = -2.0
        P.rec("R61", "b", h, note="耕地面积为负")
    for h in P.pick(f["A"] >= 1):
        hh.loc[hidx(h), "arable_mu"] = 60.0 * f.loc[h, "A"]
        P.rec("R61", "c", h, note="人均耕地超过50亩")
    for h in P.pick((f["A"] >= 1) & (f["i_eco_comp"] == 0)):
        hh.loc[hidx(h), ["forest_mu", "grain_to_green_mu"]] = [80.0 * f.loc[h, "A"], 0.0]
        P.rec("R61", "d", h, note="人均林地超过70亩")
    for h in P.pick(f["A"] >= 1):
        fo = hh.loc[hidx(h), "forest_mu"].iloc[0]
        hh.loc[hidx(h), "grain_to_green_mu"] = fo + 5.0
        P.rec("R61", "e", h, note="退耕还林面积大于林地面积")

    # ---------------- dynamic management -------------------------------------------------------------------------
    c = _cols(m)
    red = (m["member_status"] == "自然减少").to_numpy()
    clr = (m["member_status"] == "清退").to_numpy()

    def pick_rows(mask, k=None):
        if P.skip():
            return []
        k = P.k if k is None else k
        mp = P.mpos()
        free = (mp >= 0) & ~P.used_arr[np.maximum(mp, 0)]
        cand = m.index[mask & free]
        cand = cand[~m.loc[cand, "hh_id"].duplicated().to_numpy()]
        if len(cand) == 0:
            return []
        sel = sorted(rng.choice(cand, size=min(k, len(cand)), replace=False).tolist())
        P.mark(m.loc[sel, "hh_id"].tolist())
        return sel

    for i in pick_rows(red):
        m.loc[i, "member_status"] = None
        P.raw.append(("member", i, "member_status", "已故"))
        P.rec("R62", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="人员状态无法识别")
    for i in pick_rows(red):
        m.loc[i, "change_reason"] = None
        P.rec("R62", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="自然减少无变更原因")
    for i in P.pick_members(plain):
        m.loc[i, "change_reason"] = "死亡"
        m.loc[i, "change_date"] = pd.Timestamp("2019-03-01")
        P.rec("R62", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="正常人员变更原因为死亡")
    fyear = m["hh_id"].map(hh.drop_duplicates("hh_id").set_index("hh_id")["first_year"]).astype(float).to_numpy()
    cy = m["change_date"].dt.year.to_numpy(dtype=float)
    for i in pick_rows(clr & (cy >= fyear)):
        m.loc[i, "change_reason"] = "补录"
        P.rec("R62", "d", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="清退人员变更原因为补录")
    for i in pick_rows(red):
        m.loc[i, "change_date"] = pd.NaT
        P.rec("R63", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="自然减少无变更日期")
    for i in pick_rows(red & (m["change_reason"] == "死亡").to_numpy()):
        m.loc[i, "change_date"] = pd.Timestamp("2019-12-01")
        P.rec("R63", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="变更日期晚于基准日")
    nb = c["active"] & (m["change_reason"] == "新生儿").to_numpy()
    bd = m["birth_date"]
    fstart = pd.to_datetime(pd.Series(fyear).fillna(2014).astype(int).astype(str) + "-01-01").to_numpy()
    for i in P.pick_members(nb & (bd.to_numpy() >= fstart + np.timedelta64(60, "D"))):
        m.loc[i, "change_date"] = m.loc[i, "birth_date"] - pd.Timedelta(days=30)
        P.rec("R63", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="变更日期早于出生日期")
    for i in P.pick_members(nb & (bd.to_numpy() <= np.datetime64("2018-08-01"))):
        m.loc[i, "change_date"] = m.loc[i, "birth_date"] + pd.Timedelta(days=400)
        P.rec("R63", "d", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="新生儿登记晚于出生400天")
    mi_in = c["active"] & (m["change_reason"] == "嫁入").to_numpy()
    for i in P.pick_members(mi_in):
        fy = int(fyear[m.index.get_loc(i)])
        m.loc[i, "change_date"] = pd.Timestamp(f"{fy - 1}-06-01")
        P.rec("R63", "e", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="嫁入日期早于首次识别年度")

    # ---------------- exit status ----------------------------------------------------------------------------------
    for h in P.pick(f["exited"]):
        hh.loc[hidx(h), "exit_year"] = pd.NA
        P.rec("R70", "a", h, note="已脱贫但脱贫年度为空")
    for h in P.pick(f["exit_status"] == "未脱贫"):
        hh.loc[hidx(h), "exit_year"] = 2018
        P.rec("R70", "b", h, note="未脱贫却有脱贫年度")
    for h in P.pick(f["exited"] & (f["first_year"] == 2016) & (f["exit_status"] == "已脱贫（享受政策）")):
        hh.loc[hidx(h), "exit_year"] = int(f.loc[h, "first_year"]) - 1
        P.rec("R70", "c", h, note="脱贫年度早于首次识别年度")
    for h in P.pick(f["exited"]):
        hh.loc[hidx(h), "exit_year"] = 2020
        P.rec("R70", "d", h, note="脱贫年度晚于核查年度")
    for h in P.pick(f["first_year"] == 2014):
        hh.loc[hidx(h), "first_year"] = 2013
        P.rec("R70", "e", h, note="首次识别年度早于2014")
    for h in P.pick(f["exit_status"] == "未脱贫"):
        hh.loc[hidx(h), "hh_type"] = hh.loc[hidx(h), "hh_type"].iloc[0].replace("贫困户", "脱贫户")
        P.rec("R71", "a", h, note="脱贫户属性但未脱贫")
    for h in P.pick(f["exited"]):
        hh.loc[hidx(h), "hh_type"] = hh.loc[hidx(h), "hh_type"].iloc[0].replace("脱贫户", "贫困户")
        P.rec("R71", "b", h, note="贫困户属性但已脱贫")

    # ---------------- measures and projects --------------------------------------------------------------------------
    def add_measure(h, year, cat, **kw):
        row = {
            "hh_id": h,
            "year": year,
            "category": cat,
            "content": kw.get("content", "补充录入措施"),
            "amount": kw.get("amount", 500.0),
            "start_date": kw.get("start", pd.Timestamp(f"{min(year, 2019)}-03-01")),
            "end_date": kw.get("end", pd.Timestamp(f"{min(year, 2019)}-05-01")),
            "status": kw.get("status", "已完成"),
            "stage": None,
            "project_id": kw.get("project"),
            "_county": h[:6],
        }
        P.append("measure", row)

    fake_h = []
    for h in P.pick(f["A"] >= 1):
        orphan = h[:6] + "97" + h[8:]
        add_measure(orphan, AUDIT_YEAR, "产业帮扶")
        P.rec("R72", "a", orphan, year=AUDIT_YEAR, note="措施的户编号不存在")
        fake_h.append(h)
    for h in P.pick(f["A"] >= 1):
        add_measure(h, AUDIT_YEAR, "产业帮扶", project=f"XM{h[:6]}20199999")
        P.rec("R72", "b", h, year=AUDIT_YEAR, note="措施项目编号不在项目库")
    pre = f["exited"] & (f["exit_year"].astype(float) - 1 >= f["S"])
    for h in P.pick(pre):
        y = int(f.loc[h, "exit_year"]) - 1
        lab = P.labels("measure", h)
        ms = t["measure"] = ms.drop(index=lab[(ms.loc[lab, "year"] == y).to_numpy()])
        P.rec("R73", "", h, year=y, note="脱贫前年度无措施")
    for h in P.pick(f["exited"] & (f["exit_year"].astype(float) <= 2019)):
        y = int(f.loc[h, "exit_year"])
        lab = P.labels("measure", h)
        sel = lab[(ms.loc[lab, "year"] == y).to_numpy()]
        ms.loc[sel, "status"] = "实施中"
        ms.loc[sel, "end_date"] = pd.NaT
        P.rec("R74", "", h, year=y, note="脱贫当年无已完成措施")
    for h in P.pick((f["exit_status"] == "已脱贫（享受政策）") & (f["exit_year"].astype(float) <= 2017)):
        y = int(f.loc[h, "exit_year"]) + 1
        lab = P.labels("measure", h)
        ms = t["measure"] = ms.drop(index=lab[(ms.loc[lab, "year"] == y).to_numpy()])
        P.rec("R75", "", h, year=y, note="脱贫后享受政策年度无措施")
    for h in P.pick((f["n_cap"] == 0) & (f["A"] >= 1)):
        add_measure(h, AUDIT_YEAR, "技能培训")
        P.rec("R76", "a", h, note="无劳动能力户安排技能培训")
    dev = ["产业帮扶", "就业帮扶", "公益性岗位", "扶贫车间", "金融帮扶", "技能培训"]
    for h in P.pick((f["_class"] == "有劳动能力") & ~f["main_cause"].isin(["缺资金", "缺技术"])):
        lab = P.labels("measure", h)
        sel = lab[ms.loc[lab, "category"].isin(dev).to_numpy()]
        ms.loc[sel, "category"] = "资产收益"
        ms.loc[sel, "project_id"] = None
        P.rec("R76", "b", h, note="有劳动能力户无开发式措施")
    for part, cat, mask in (
        ("a", "教育帮扶", f["n_stu"] == 0),
        ("b", "残疾人补贴", f["n_dis"] == 0),
        ("c", "低保兜底", ~f["_dibao"] & ~f["_tekun"]),
        ("d", "特困供养", ~f["_tekun"] & ~f["_dibao"]),
    ):
        for h in P.pick(mask & (f["A"] >= 1)):
            add_measure(h, AUDIT_YEAR, cat)
            P.rec("R77", part, h, year=AUDIT_YEAR, note=f"{cat}措施与家庭情况不符")
    for h in P.pick((f["main_cause"] == "因学") & (f["n_stu"] >= 1)):
        lab = P.labels("measure", h)
        sel = lab[(ms.loc[lab, "category"] == "教育帮扶").to_numpy()]
        ms.loc[sel, "category"] = "其他"
        ms.loc[sel, "project_id"] = None
        P.rec("R78", "", h, note="因学户无教育帮扶措施")
    for part in ("a", "b", "c"):
        for h in P.pick(f["A"] >= 1):
            lab = P.labels("measure", h)
            sel = lab[(ms.loc[lab, "year"] == AUDIT_YEAR).to_numpy()]
            i = sel[0]
            if part == "a":
                ms.loc[i, ["status", "end_date"]] = ["已完成", ms.loc[i, "start_date"] - pd.Timedelta(days=10)]
            elif part == "b":
                ms.loc[i, ["status", "end_date"]] = ["已完成", pd.Timestamp("2019-11-15")]
            else:
                ms.loc[i, "amount"] = -500.0
            P.rec("R79", part, h, year=AUDIT_YEAR, note="措施日期或金额矛盾")
    for h in P.pick(f["A"] >= 1):
        add_measure(h, 2020, "产业帮扶", start=pd.Timestamp("2019-06-01"), end=pd.Timestamp("2019-07-01"))
        P.rec("R79", "d", h, year=2020, note="措施年度晚于核查年度")
    for h in P.pick(f["first_year"] >= 2017):
        y = int(f.loc[h, "first_year"]) - 1
        add_measure(h, y, "产业帮扶")
        P.rec("R79", "d", h, year=y, note="措施年度早于首次识别年度")
    P.flush()


def refresh_projects(P: Planter) -> None:
    """Recompute 到户 project beneficiary counts from the final measures; drop 到户 projects nobody links to."""
    t = P.t
    ms, pr, hh = t["measure"], t["project"], t["household"]
    known = set(hh["hh_id"])
    lk = ms[ms["project_id"].notna() & ms["hh_id"].isin(known)]
    nh = lk.groupby("project_id")["hh_id"].nunique()
    A = hh.drop_duplicates("hh_id").set_index("hh_id")["hh_size"]
    ppl = (
        lk.drop_duplicates(["project_id", "hh_id"])
        .assign(_a=lambda d: d["hh_id"].map(A))
        .groupby("project_id")["_a"]
        .sum()
    )
    to = pr["to_household"].astype(bool)
    pr.loc[to, "beneficiary_hh"] = pr.loc[to, "project_id"].map(nh).fillna(0).astype(int)
    pr.loc[to, "beneficiary_people"] = np.maximum(
        pr.loc[to, "project_id"].map(ppl).fillna(0).astype(int), pr.loc[to, "beneficiary_hh"]
    )
    keep = ~to | (pr["beneficiary_hh"] > 0)
    pr = pr[keep].reset_index(drop=True)
    for col in ("to_household", "publicized"):
        pr[col] = pr[col].astype(object)
    for col in ("beneficiary_hh", "beneficiary_people"):
        pr[col] = pr[col].astype(float)
    t["project"] = pr


def plant_projects(P: Planter) -> None:
    t, rng = P.t, P.rng
    pr = t["project"]
    to = pr["to_household"].astype(bool).to_numpy()
    used = set()

    def pick(mask, k=None):
        if P.skip():
            return []
        k = P.k if k is None else k
        mk = np.zeros(len(pr), dtype=bool)
        mk[: len(mask)] = np.asarray(mask, dtype=bool)[: len(pr)]
        cand = pr.index[mk & ~pr["project_id"].isin(list(used)).to_numpy()]
        sel = sorted(rng.choice(cand, size=min(k, len(cand)), replace=False).tolist())
        used.update(pr.loc[sel, "project_id"])
        return sel

    dups = pick(~to)
    for j, i in enumerate(pick(np.ones(len(pr), bool))):
        col = ["fund_source", "implementer", "performance_goal"][j % 3]
        pr.loc[i, col] = None
        P.rec("R81", "", project=pr.loc[i, "project_id"], note=f"项目要素缺失：{col}")
    for part in ("a", "b"):
        for i in pick(to):
            pr.loc[i, "beneficiary_hh" if part == "a" else "beneficiary_people"] = np.nan
            P.rec("R82", part, project=pr.loc[i, "project_id"], note="到户项目缺少受益对象数")
    for i in pick(to & (pr["beneficiary_hh"].to_numpy() >= 2)):
        pr.loc[i, "beneficiary_people"] = pr.loc[i, "beneficiary_hh"] - 1
        P.rec("R82", "c", project=pr.loc[i, "project_id"], note="受益人口数少于受益户数")
    for i in pick(to):
        pr.loc[i, "beneficiary_hh"] = pr.loc[i, "beneficiary_hh"] + 2
        pr.loc[i, "beneficiary_people"] = pr.loc[i, "beneficiary_people"] + 6
        P.rec("R83", "", project=pr.loc[i, "project_id"], note="受益户数比措施关联户数多2")
    done = pr["status"].isin(["已完工", "已验收"]).to_numpy() & pr["end_date"].notna().to_numpy()
    for i in pick(done & (pr["year"] < 2019).to_numpy()):
        pr.loc[i, "end_date"] = pr.loc[i, "start_date"] - pd.Timedelta(days=20)
        P.rec("R84", "a", project=pr.loc[i, "project_id"], note="完工日期早于开工日期")
    for i in pick((pr["year"] == 2019).to_numpy()):
        pr.loc[i, ["status", "end_date"]] = ["已完工", pd.Timestamp("2019-12-20")]
        P.rec("R84", "b", project=pr.loc[i, "project_id"], note="已完工但完工日期晚于基准日")
    for i in pick((pr["year"] == 2019).to_numpy()):
        pr.loc[i, ["status", "start_date", "end_date"]] = ["实施中", pd.Timestamp("2019-11-01"), pd.NaT]
        P.rec("R84", "c", project=pr.loc[i, "project_id"], note="实施中但开工日期晚于基准日")
    for j, i in enumerate(pick(np.ones(len(pr), bool))):
        pr.loc[i, "publicized"] = False if j % 2 == 0 else None
        P.rec("R85", "", project=pr.loc[i, "project_id"], note="项目未公示")
    for i in dups:
        pr.loc[pr.index.max() + 1] = pr.loc[i].copy()
        P.rec("R80", "", project=pr.loc[i, "project_id"], note="项目编号重复（两行）")
        P.rec("R80", "", project=pr.loc[i, "project_id"], note="项目编号重复（两行）")
    # helpers and visits
    f = P.f
    hh = t["household"]
    for h in P.pick(f["A"] >= 1):
        hh.loc[hh["hh_id"] == h, "helper_name"] = None
        P.rec("R86", "", h, note="无帮扶责任人")
    for j, h in enumerate(P.pick(f["A"] >= 1)):
        hh.loc[hh["hh_id"] == h, "last_visit"] = [pd.Timestamp("2018-06-01"), pd.NaT, pd.Timestamp("2019-10-20")][j % 3]
        P.rec("R87", "", h, note="超过12个月未走访")


# ===============================================================================================================
def plant_departments(P: Planter) -> None:
    t, f = P.t, P.f
    m = t["member"]
    c = _cols(m)
    idof = lambda i: m.loc[i, "_dept_id"] if pd.notna(m.loc[i, "_dept_id"]) else m.loc[i, "id_no"]  # noqa: E731

    def add(table, row):
        P.append(table, row)

    def drop(table, mask):
        t[table] = t[table][~mask].reset_index(drop=True)

    # R88: a 16/17-year-old who left school shows 辍学 in 学籍 (stage 初中)
    for i in P.pick_members(~c["student"] & (c["sage"] >= 16) & (c["sage"] <= 17)):
        iid = idof(i)
        drop("education", (t["education"]["id_no"] == iid).to_numpy())
        add("education", {"id_no": iid, "stage": "初中", "enrol_status": "辍学", "_county": m.loc[i, "_county"]})
        P.rec("R88", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="学籍显示辍学")
    for i in P.pick_members(~c["student"] & (c["sage"] >= 16) & (c["sage"] <= 20)):
        add("education", {"id_no": idof(i), "stage": "高中", "enrol_status": "在读", "_county": m.loc[i, "_county"]})
        P.rec("R89", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="非在校生学籍在读")
    comp = m["school_status"].isin(["小学", "七年级", "八年级", "九年级"]).to_numpy() & c["active"]
    for i in P.pick_members(comp):
        drop("education", (t["education"]["id_no"] == idof(i)).to_numpy())
        P.rec("R89", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="义务教育在校生无学籍")
    for i in P.pick_members((m["school_status"] == "小学").to_numpy() & c["active"]):
        e = t["education"]
        e.loc[(e["id_no"] == idof(i)).to_numpy(), "stage"] = "初中"
        P.rec("R89", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="学段与在校生状况不一致")
    ex_ok = f["exited"] & (f["I"] >= 8400)
    for i in P.pick_members(c["active"] & ~c["soldier"] & (m["ins_resident"] == True).to_numpy(), hmask=ex_ok):  # noqa
        md = t["medical"]
        drop("medical", ((md["id_no"] == idof(i)) & (md["ins_year"] == AUDIT_YEAR)).to_numpy())
        P.rec("R90", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="医保无2019年参保记录")
    for i in P.pick_members(c["active"] & ~c["soldier"] & (m["ins_resident"] == True).to_numpy()):  # noqa
        add(
            "medical",
            {"id_no": idof(i), "ins_type": "城镇职工", "ins_year": AUDIT_YEAR, "_county": m.loc[i, "_county"]},
        )
        P.rec("R91", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="医保有职工参保记录但标识为否")
    dib = c["active"] & (m["dibao"] == True).to_numpy()  # noqa: E712
    for i in P.pick_members(dib & (c["age"] >= 18), hmask=f["n_dibao"] >= 2):
        cv = t["civil"]
        cv.loc[(cv["id_no"] == idof(i)).to_numpy(), "end_date"] = pd.Timestamp("2019-06-30")
        P.rec("R92", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="民政低保已终止但标识仍为是")
    for i in P.pick_members(c["active"] & ~c["flag"] & (c["age"] >= 18), hmask=~f["_dibao"] & ~f["_tekun"]):
        add(
            "civil",
            {
                "id_no": idof(i),
                "support_type": "低保",
                "start_date": pd.Timestamp("2019-01-01"),
                "end_date": pd.NaT,
                "_county": m.loc[i, "_county"],
            },
        )
        P.rec("R92", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="民政有低保但标识为否")
    hh = t["household"]
    heads = m[c["head"] & c["active"]].drop_duplicates("hh_id").set_index("hh_id")
    nr = ~f["_renovated"]
    ex_low = f["exited"] & (f["I"] >= 4000) & (f["I"] < 8400) & (f["_class"] != "无劳动能力")
    for j, h in enumerate(
        P.pick(nr & ex_low & f.index.isin(heads.index), k=1)
        + P.pick(nr & f["exited"] & f.index.isin(heads.index), k=P.k)
    ):
        st = "改造中" if j % 2 else "未改造"
        hh.loc[hh["hh_id"] == h, "house_level"] = None
        add(
            "housing",
            {
                "head_id": idof(heads.loc[h].name) if False else heads.loc[h, "_dept_id"],
                "appraisal_level": "C",
                "renovation_status": st,
                "completion_date": pd.NaT,
                "_county": h[:6],
            },
        )
        P.rec("R93", "", h, note=f"住建鉴定C级危房{st}")
        P.rec("R94", "a", h, note="副作用：住建有未改造危房但登记为否")
    ren = f["_renovated"] & f.index.isin(heads.index)
    for h in P.pick(ren):
        hh.loc[hh["hh_id"] == h, ["unsafe_house", "house_level"]] = [True, "D"]
        P.rec("R94", "b", h, note="住建已竣工但登记为危房户")
        P.rec("R56", "a", h, note="副作用：登记为危房户")
        P.rec("R56", "b", h, note="副作用：危房级别D")
    for h in P.pick(nr & f.index.isin(heads.index)):
        hh.loc[hh["hh_id"] == h, ["unsafe_house", "house_level"]] = [True, "C"]
        add(
            "housing",
            {
                "head_id": heads.loc[h, "_dept_id"],
                "appraisal_level": "D",
                "renovation_status": "未改造",
                "completion_date": pd.NaT,
                "_county": h[:6],
            },
        )
        P.rec("R94", "c", h, note="住建鉴定D级与登记C级不符")
        P.rec("R93", "", h, note="副作用：住建危房未改造")
        P.rec("R56", "a", h, note="副作用：登记为危房户")
        P.rec("R56", "b", h, note="副作用：危房级别C")
    mild = c["active"] & c["dis"] & ~c["severe"]
    for i in P.pick_members(mild):
        drop("disability", (t["disability"]["id_no"] == idof(i)).to_numpy())
        P.rec("R95", "a", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残联无此残疾人记录")
    plain = c["active"] & c["healthy"] & ~c["dis"]
    for i in P.pick_members(plain):
        add("disability", {"id_no": idof(i), "dis_category": "4", "dis_grade": "4", "_county": m.loc[i, "_county"]})
        P.rec("R95", "b", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残联有记录但健康状况无残疾")
    for i in P.pick_members(mild & m["disability_no"].notna().to_numpy()):
        d = t["disability"]
        sel = (d["id_no"] == idof(i)).to_numpy()
        d.loc[sel, "dis_category"] = d.loc[sel, "dis_category"].map(lambda v: "1" if v != "1" else "2")
        P.rec("R95", "c", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="残疾类别与残联不符")
    # 公安 and property lists
    for i in P.pick_members(c["active"] & (c["age"] >= 70) & ~c["head"]):
        add(
            "police",
            {
                "id_no": idof(i),
                "name": m.loc[i, "name"],
                "hukou_status": "死亡",
                "change_date": pd.Timestamp("2019-04-02"),
                "_county": m.loc[i, "_county"],
            },
        )
        P.rec("R64", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="公安登记死亡仍为正常")
    for i in P.pick_members(c["active"] & (c["age"] >= 20) & (c["age"] <= 50) & ~c["head"]):
        add(
            "police",
            {
                "id_no": idof(i),
                "name": m.loc[i, "name"],
                "hukou_status": "迁出",
                "change_date": pd.Timestamp("2019-05-06"),
                "_county": m.loc[i, "_county"],
            },
        )
        P.rec("R65", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="公安登记迁出仍为正常")
    for i in P.pick_members(c["active"] & ~c["head"]):
        p = t["police"]
        p.loc[(p["id_no"] == idof(i)).to_numpy(), "name"] = m.loc[i, "name"][:1] + "晓" + m.loc[i, "name"][1:]
        P.rec("R66", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="姓名与公安户籍不符")
    for i in P.pick_members(c["active"] & (c["age"] >= 25) & (c["age"] <= 55)):
        add("property", {"id_no": idof(i), "match_type": "财政供养人员", "_county": m.loc[i, "_county"]})
        P.rec("R67", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="财政供养人员")
    for j, i in enumerate(P.pick_members(c["active"] & (c["age"] >= 25) & (c["age"] <= 60))):
        for typ in (["名下车辆"], ["名下商品房", "工商注册"])[j % 2]:
            add("property", {"id_no": idof(i), "match_type": typ, "_county": m.loc[i, "_county"]})
        P.rec("R68", "", m.loc[i, "hh_id"], m.loc[i, "person_id"], note="名下有车辆、商品房或工商注册")
    P.flush()
