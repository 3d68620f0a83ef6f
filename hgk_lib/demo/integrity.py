"""Desk-made data for the integrity screen (integrity.md): an honest base that looks like real registers, and a few
fabricated units per county, recorded in the truth (``integrity.csv``).

Honest base (applied to the whole demo, after the rule defects are planted):

* 帮扶责任人: each village's households are split among helpers of 4–16 households (a cadre helps several
  households of one village); the helper takes the name and phone already drawn for the group's first household.
* 措施内容: 30% of measure texts are the category's generic phrase, the others name the household's own case
  (hamlet, head of household, amount), as real entries do.

Fabricated units (per county and indicator, one unit, villages and 帮扶责任人 alternating; units never overlap; only
households no rule defect touched are edited; the fabrication never makes a rule fire):

* I1: 8 of a village's households (6 of a helper's) moved to just above the exit line ([line, line × 1.045)) by
  changing wages or farming income; totals recomputed.
* I2: one household's audit-year income items copied to 2–4 others of the same unit with the same members' pattern
  (wages, 公益性岗位, 低保, 特困, pensions, 生态补偿 present or not), keeping them above the line.
* I3: every income item of 8 (5) households rounded to whole hundreds.
* I4: 数据来源 = 预估 on the audit-year rows of 10 (6) households.
* I5: 12 (7) households' 最近走访日期 set to one day.
* I6: the audit-year 措施内容 of 12 (8) households replaced by one template sentence.
* I7: 6 (4) households' incomes before the exit year cut so that the exit year jumps 1.7–2.6× from below the line.

Reproducible: everything here draws from ``numpy.random.default_rng([seed, 31])``, never from the demo's main
stream, so the rest of the demo is unchanged by this step (apart from the edited cells).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as S
from .plant import INCOME_ITEMS, fix_totals

INTEGRITY_COLS = ["county", "indicator", "unit_type", "township", "village", "helper_name", "helper_phone", "hh_id"]
EXITED = list(S.EXITED)
LINES = {2016: 4000.0, 2017: 7365.0, 2018: 8000.0, 2019: 8400.0}
TEMPLATE = "按照一户一策落实帮扶措施，入户宣传扶贫政策，该户已稳定脱贫"
GENERIC_SHARE = 0.3
#: households fabricated per unit: (village, helper)
STRENGTH = {"I1": (8, 6), "I2": (5, 4), "I3": (8, 5), "I4": (10, 6), "I5": (12, 7), "I6": (12, 8), "I7": (6, 4)}
MIN_UNIT = 10


def _f(x) -> np.ndarray:
    return np.round(pd.to_numeric(pd.Series(x), errors="coerce").astype(float).fillna(0).to_numpy() * 100)


def realistic_helpers_and_texts(t: dict, rng) -> None:
    """Group households under shared 帮扶责任人 and give measure texts household detail (honest base)."""
    full = t["household"]
    named = full["helper_name"].notna().to_numpy()  # a blank helper (rule R86's defect) stays blank
    hh = full[named]
    key = hh["_county"].astype(str) + "|" + hh["township"].astype(str) + "|" + hh["village"].astype(str)
    kc = pd.factorize(key.to_numpy(dtype=object).astype(str), sort=True)[0]
    order = np.lexsort((np.arange(len(hh)), kc))
    k = kc[order]
    # each village's households (in 户编号 order) split into helpers of one size drawn per village (4..16)
    new_village = np.r_[True, k[1:] != k[:-1]]
    vstart = np.flatnonzero(new_village)
    vend = np.r_[vstart[1:], len(hh)]
    vidx = np.repeat(np.arange(len(vstart)), vend - vstart)
    pos_in_v = np.arange(len(hh)) - vstart[vidx]
    size = rng.integers(4, 17, size=len(vstart))[vidx]
    grp = vidx * 10_000 + pos_in_v // size
    first = pd.Series(order).groupby(grp).transform("first").to_numpy()
    lead = np.empty(len(hh), dtype=np.int64)
    lead[order] = first
    names = hh["helper_name"].to_numpy(dtype=object)[lead]
    phone = hh["helper_phone"].to_numpy(dtype=object)[lead]
    no_phone = rng.random(len(hh)) < 0.1
    full.loc[named, "helper_name"] = names
    full.loc[named, "helper_phone"] = np.where(no_phone[lead], None, phone)
    hh = full
    ms = t["measure"]
    info = hh.drop_duplicates("hh_id").set_index("hh_id")
    hamlet = ms["hh_id"].map(info["hamlet"]).fillna("").astype(str).str.replace("组", "", regex=False)
    head = ms["hh_id"].map(info["head_name"]).fillna("").astype(str)
    amt = pd.to_numeric(ms["amount"], errors="coerce")
    amt_txt = amt.map(lambda v: "" if pd.isna(v) else f"，金额{v:,.0f}元")
    specific = rng.random(len(ms)) >= GENERIC_SHARE
    detail = ms["content"].astype(str) + "（" + hamlet + head + "户" + amt_txt + "）"
    ms["content"] = np.where(specific & ms["content"].notna().to_numpy(), detail, ms["content"].to_numpy(dtype=object))


def _system_pc(r: pd.DataFrame) -> np.ndarray:
    d = (
        _f(r["wage"])
        + _f(r["business_income"])
        - np.abs(_f(r["business_cost"]))
        + _f(r["property_income"])
        + sum(_f(r[c]) for c in INCOME_ITEMS)
        - _f(r["transfer_out"])
    )
    n = pd.to_numeric(r["n_members"], errors="coerce").fillna(1).to_numpy().astype(float)
    return d / np.maximum(n, 1)


def _verdict_pc(r: pd.DataFrame, a: np.ndarray) -> np.ndarray:
    items = [c for c in INCOME_ITEMS if c != "medical_reimb"]
    d = (
        _f(r["wage"])
        + _f(r["business_income"])
        - np.abs(_f(r["business_cost"]))
        + _f(r["property_income"])
        + sum(_f(r[c]) for c in items)
        - _f(r["transfer_out"])
    )
    return d / np.maximum(a, 1)


class Fabricator:
    def __init__(self, t: dict, rng, used: set):
        self.t, self.rng = t, rng
        hh = t["household"]
        self.hh = hh
        self.inc = t["income"]
        ok = (
            hh["exit_status"].isin(EXITED).to_numpy()
            & ~hh["hh_id"].isin(used).to_numpy()
            & ~hh["hh_id"].duplicated(keep=False).to_numpy()
        )
        self.free = set(hh.loc[ok, "hh_id"])
        self.taken: set = set()  # households of units already fabricated
        self.rows: list[dict] = []
        ex = hh[hh["exit_status"].isin(EXITED).to_numpy()].drop_duplicates("hh_id")
        self.ex = ex
        i19 = self.inc[self.inc["year"] == 2019]
        self.i19 = pd.Series(i19.index, index=i19["hh_id"].to_numpy())
        self.i19 = self.i19[~self.i19.index.duplicated(keep=False)]
        i18 = self.inc[self.inc["year"] == 2018]
        self.i18 = pd.Series(i18.index, index=i18["hh_id"].to_numpy())
        self.i18 = self.i18[~self.i18.index.duplicated(keep=False)]
        self.A = hh.drop_duplicates("hh_id").set_index("hh_id")["A"].astype(float)

    def units(self, county: str, kind: str) -> list[tuple]:
        """Candidate units (village or helper key) of a county with at least MIN_UNIT exited households, shuffled."""
        e = self.ex[self.ex["_county"] == county]
        if kind == "村":
            g = e.groupby(["township", "village"]).size()
        else:
            e = e[e["helper_phone"].notna()]
            g = e.groupby(["helper_name", "helper_phone"]).size()
        keys = list(g[g >= MIN_UNIT + 3].index)
        return [keys[i] for i in self.rng.permutation(len(keys))]

    def members_of(self, county, kind, key) -> pd.DataFrame:
        e = self.ex[self.ex["_county"] == county]
        if kind == "村":
            return e[(e["township"] == key[0]).to_numpy() & (e["village"] == key[1]).to_numpy()]
        return e[(e["helper_name"] == key[0]).to_numpy() & (e["helper_phone"] == key[1]).to_numpy()]

    def record(self, county, ind, kind, key, hh_ids, unit_hh: pd.DataFrame):
        for h in sorted(hh_ids):
            if kind == "村":
                tw, vi, hn, hp = key[0], key[1], "", ""
            else:
                tw, vi, hn, hp = "", "", key[0], key[1]
            self.rows.append(
                {
                    "county": county,
                    "indicator": ind,
                    "unit_type": kind,
                    "township": tw,
                    "village": vi,
                    "helper_name": hn,
                    "helper_phone": hp,
                    "hh_id": h,
                }
            )
        self.taken |= set(unit_hh["hh_id"])  # one fabrication per unit: its other households stay as they are

    def save(self, ids) -> tuple:
        """The cells a fabrication may edit, for the unit's households (restored when the unit does not fit)."""
        inc, ms = self.inc, self.t["measure"]
        il = inc.index[inc["hh_id"].isin(ids).to_numpy()]
        hl = self.hh.index[self.hh["hh_id"].isin(ids).to_numpy()]
        ml = ms.index[ms["hh_id"].isin(ids).to_numpy()]
        return il, inc.loc[il].copy(), hl, self.hh.loc[hl, "last_visit"].copy(), ml, ms.loc[ml, "content"].copy()

    def restore(self, saved) -> None:
        il, irows, hl, visits, ml, texts = saved
        self.inc.loc[il, irows.columns] = irows
        self.hh.loc[hl, "last_visit"] = visits
        self.t["measure"].loc[ml, "content"] = texts

    # -- the fabrications: each returns the fabricated households (empty when the unit does not fit) --------------
    def pick(self, cand: list, k: int) -> list:
        if len(cand) < k:
            return []
        sel = self.rng.choice(len(cand), size=k, replace=False)
        return [cand[i] for i in sorted(sel)]

    def _rows19(self, ids):
        return self.i19.reindex(ids).dropna().astype(int)

    def i1(self, ids, k):
        inc = self.inc
        r19 = self._rows19(ids)
        r = inc.loc[r19.to_numpy()]
        a = self.A.reindex(r19.index).to_numpy()
        pc = _verdict_pc(r, a)
        cand = list(r19.index[(pc >= 1.08 * 840000) & (pc <= 2.0 * 840000)])
        chosen = []
        for h in self.pick(cand, min(len(cand), k + 4)):
            if len(chosen) == k:
                break
            lab = r19[h]
            row = inc.loc[[lab]].copy()
            av = self.A[h]
            target = self.rng.uniform(840001, 840000 * 1.045)
            delta = (target - _verdict_pc(row, np.array([av]))[0]) * av / 100.0  # yuan, negative
            w, pwj = float(row["wage"].fillna(0).iloc[0]), float(row["wage_pwj"].fillna(0).iloc[0])
            bi, bc = float(row["business_income"].fillna(0).iloc[0]), float(row["business_cost"].fillna(0).iloc[0])
            if w > 0 and w - pwj + delta >= 1000:
                row["wage"] = round(w + delta, 2)
            elif bi > 0 and bi - bc + delta >= 800:
                ratio = bc / bi
                nb = (bi - bc + delta) / (1 - ratio)
                row["business_income"], row["business_cost"] = round(nb, 2), round(nb * ratio, 2)
            else:
                continue
            if not self._ok(h, row, pc_range=(840000, 840000 * 1.05)):
                continue
            inc.loc[[lab], row.columns] = row
            fix_totals(inc, [lab])
            chosen.append(h)
        return chosen

    def _ok(self, h, row, pc_range=None, prev=None) -> bool:
        """The edited audit-year row keeps R44 (0.5–3× the year before, system formula) and, if given, the
        verdict income in ``pc_range`` (fen)."""
        r = row.copy()
        fix_totals(r, r.index)
        if pc_range is not None:
            v = _verdict_pc(r, np.array([self.A[h]]))[0]
            if not (pc_range[0] <= v < pc_range[1]):
                return False
        lab18 = self.i18.get(h)
        if lab18 is not None:
            p18 = _system_pc(self.inc.loc[[lab18]])[0] if prev is None else prev
            p19 = _system_pc(r)[0]
            if p18 > 0 and not (0.55 <= p19 / p18 <= 2.9):
                return False
        return True

    def i2(self, unit: pd.DataFrame, k):
        inc = self.inc
        ids = [h for h in unit["hh_id"] if h in self.free]
        r19 = self._rows19(ids)
        r = inc.loc[r19.to_numpy()]
        a = self.A.reindex(r19.index).to_numpy()
        pc = _verdict_pc(r, a)
        sens = ["wage", "wage_pwj", "dibao_income", "tekun_income", "pension_income", "eco_comp"]
        pat = pd.DataFrame(
            {c: (pd.to_numeric(r[c], errors="coerce").fillna(0).to_numpy() > 0) for c in sens}, index=r19.index
        )
        pat["A"] = a
        pat["n"] = pd.to_numeric(r["n_members"], errors="coerce").to_numpy()
        pat["ok"] = pc >= 1.2 * 840000
        nonzero = (
            (
                r[
                    ["wage", "wage_pwj", "business_income", "business_cost", "property_income", "property_dividend"]
                    + INCOME_ITEMS
                    + ["transfer_out"]
                ].fillna(0)
                != 0
            )
            .sum(axis=1)
            .to_numpy()
        )
        pat["nz"] = nonzero >= 4
        key = pat[sens].astype(str).agg("|".join, axis=1)
        groups = key[(pat["ok"] & pat["nz"]).to_numpy()].groupby(key).groups
        best = sorted(groups.values(), key=len, reverse=True)
        if not best or len(best[0]) < 3:
            return []
        members = list(best[0])
        src = members[int(self.rng.integers(len(members)))]
        targets = [h for h in members if h != src]
        targets = [targets[i] for i in self.rng.permutation(len(targets))]
        cols = (
            ["wage", "wage_pwj", "business_income", "business_cost", "property_income", "property_dividend"]
            + INCOME_ITEMS
            + ["transfer_out"]
        )
        chosen = [src]
        for h in targets:
            if len(chosen) == k:
                break
            row = inc.loc[[r19[h]]].copy()
            row[cols] = inc.loc[[r19[src]], cols].to_numpy()
            if not self._ok(h, row, pc_range=(840000 * 1.05, np.inf)):
                continue
            inc.loc[[r19[h]], cols] = row[cols].to_numpy()
            fix_totals(inc, [r19[h]])
            chosen.append(h)
        return chosen if len(chosen) >= 3 else []

    def i3(self, ids, k):
        inc = self.inc
        r19 = self._rows19(ids)
        r = inc.loc[r19.to_numpy()]
        pc = _verdict_pc(r, self.A.reindex(r19.index).to_numpy())
        cand = list(r19.index[pc >= 1.2 * 840000])
        cols = (
            ["wage", "wage_pwj", "business_income", "business_cost", "property_income", "property_dividend"]
            + INCOME_ITEMS
            + ["transfer_out"]
        )
        chosen = []
        for h in self.pick(cand, min(len(cand), k + 4)):
            if len(chosen) == k:
                break
            row = inc.loc[[r19[h]]].copy()
            v = row[cols].astype(float)
            rounded = np.where(v.fillna(0) > 0, np.maximum(np.round(v.fillna(0) / 100) * 100, 100), v)
            row[cols] = rounded
            if not self._ok(h, row):
                continue
            inc.loc[[r19[h]], cols] = row[cols].to_numpy()
            fix_totals(inc, [r19[h]])
            chosen.append(h)
        return chosen

    def i4(self, ids, k):
        r19 = self._rows19(ids)
        cand = list(r19.index[(self.inc.loc[r19.to_numpy(), "data_source"] == "入户核实").to_numpy()])
        chosen = self.pick(cand, k)
        self.inc.loc[r19[chosen].to_numpy(), "data_source"] = "预估"
        return chosen

    def i5(self, ids, k):
        chosen = self.pick(ids, k)
        day = pd.Timestamp("2019-03-01") + pd.Timedelta(days=int(self.rng.integers(0, 200)))
        self.hh.loc[self.hh["hh_id"].isin(chosen).to_numpy(), "last_visit"] = day
        return chosen

    def i6(self, ids, k):
        ms = self.t["measure"]
        has = set(ms.loc[(ms["year"] == 2019).to_numpy(), "hh_id"])
        chosen = self.pick([h for h in ids if h in has], k)
        ms.loc[(ms["year"] == 2019).to_numpy() & ms["hh_id"].isin(chosen).to_numpy(), "content"] = TEMPLATE
        return chosen

    def i7(self, ids, k):
        inc, hh = self.inc, self.hh.drop_duplicates("hh_id").set_index("hh_id")
        ey = hh["exit_year"].reindex(ids)
        cand = [h for h in ids if ey.get(h) in (2018, 2019)]
        chosen = []
        for h in self.pick(cand, min(len(cand), k + 4)):
            if len(chosen) == k:
                break
            y = int(ey[h])
            rows = inc[(inc["hh_id"] == h).to_numpy()]
            cur = rows[rows["year"] == y]
            before = rows[rows["year"] < y]
            if len(cur) != 1 or (before["year"] == y - 1).sum() != 1:
                continue
            p_cur = _system_pc(cur)[0]
            if p_cur < LINES[y] * 100:
                continue
            target = min(p_cur / self.rng.uniform(1.7, 2.6), LINES[y - 1] * 100 * 0.97)
            prev = before[before["year"] == y - 1]
            p_prev = _system_pc(prev)[0]
            flex = (
                _f(prev["wage"])
                - _f(prev["wage_pwj"])
                + _f(prev["business_income"])
                - np.abs(_f(prev["business_cost"]))
            )[0] / max(float(prev["n_members"].iloc[0]), 1)
            fixed = p_prev - flex
            if flex <= 0 or target <= fixed:
                continue
            f = (target - fixed) / flex
            if not (0.05 < f < 1):
                continue
            new = before.copy()
            w_other = new["wage"].fillna(0) - new["wage_pwj"].fillna(0)
            new["wage"] = np.round(new["wage_pwj"].fillna(0) + w_other * f, 2).where(new["wage"].notna(), np.nan)
            new["business_income"] = np.round(new["business_income"] * f, 2)
            new["business_cost"] = np.round(new["business_cost"] * f, 2)
            bad_wage = ((new["wage"] > 0) & (new["wage"] < 300)).any()
            bad_bus = ((before["business_income"] > 0) & ~(new["business_cost"] > 0)).any()
            if bad_wage or bad_bus:
                continue
            fix_totals(new, new.index)
            pn = _system_pc(new[new["year"] == y - 1])[0]
            if not (pn < LINES[y - 1] * 100 and p_cur / pn <= 2.9 and p_cur > 1.6 * pn):
                continue
            inc.loc[new.index, new.columns] = new
            chosen.append(h)
        return chosen


def plant_integrity(t: dict, seed: int, used: set) -> pd.DataFrame:
    """Make the honest base realistic, then fabricate one unit per county and indicator. Returns the truth rows
    (:data:`INTEGRITY_COLS`, one per fabricated household)."""
    rng = np.random.default_rng([int(seed), 31])
    realistic_helpers_and_texts(t, rng)
    fab = Fabricator(t, rng, used)
    counties = sorted(t["household"]["_county"].unique())
    for ci, county in enumerate(counties):  # loop over counties and indicators, a few units each
        for ii, ind in enumerate(STRENGTH):
            kind = "村" if (ci + ii) % 2 == 0 else "帮扶责任人"
            k = STRENGTH[ind][0 if kind == "村" else 1]
            for key in fab.units(county, kind)[:30]:
                unit = fab.members_of(county, kind, key)
                if set(unit["hh_id"]) & fab.taken:
                    continue
                ids = [h for h in unit["hh_id"] if h in fab.free]  # households with a rule defect stay untouched
                saved = fab.save(ids)
                if ind == "I2":
                    chosen = fab.i2(unit, k)
                else:
                    chosen = getattr(fab, ind.lower())(ids, k)
                if len(chosen) >= (3 if ind == "I2" else k):
                    fab.record(county, ind, kind, key, chosen, unit)
                    break
                fab.restore(saved)
    return pd.DataFrame(fab.rows, columns=INTEGRITY_COLS)
