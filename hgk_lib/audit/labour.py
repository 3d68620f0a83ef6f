"""Labour capacity classes, safety-net coverage, recommended measures and unstable public-welfare jobs.

Labour class per household, from audit-active members and their age on the reference date (audit_standards.md):

* 有劳动能力: a member aged ``working_age_min`` ≤ age < ``old_age`` (16–64) with 普通劳动力 or 技能劳动力;
* 弱劳力半劳力: otherwise a member aged ``working_age_min``+ with 弱劳动力或半劳动力, or 普通/技能劳动力 aged
  ``old_age`` (65)+;
* 无劳动能力: otherwise (also a household without active members). A member of unknown age counts for nothing.

The working-age bounds are the two parameters ``labour.working_age_min`` and ``labour.old_age``, the same numbers
rule R76 reads as ``working_age_min`` and ``labour_old_age`` (tests/test_params_consistency.py pairs them).
"""

from __future__ import annotations

import pandas as pd

from .. import schema as S
from .. import text as T
from ..derive import join_by
from .common import (
    CLASS_FULL,
    CLASS_NONE,
    CLASS_WEAK,
    FULL_LABOUR,
    WEAK_LABOUR,
    Base,
    any_by,
    civil_active,
    col,
    isin,
    num,
    yes,
)

#: Recommended measure categories per class, and how the 分类施策 sheet names them.
RECOMMENDED = {
    CLASS_FULL: ["产业帮扶", "就业帮扶", "金融帮扶", "技能培训"],
    CLASS_WEAK: ["扶贫车间", "公益性岗位"],
    CLASS_NONE: ["低保兜底", "特困供养"],
}
RECOMMENDED_KIND = {CLASS_FULL: "开发式帮扶", CLASS_WEAK: "就近就业", CLASS_NONE: "兜底保障"}
RECOMMENDED_TEXT = {k: "、".join(v) + f"（{RECOMMENDED_KIND[k]}，至少一项）" for k, v in RECOMMENDED.items()}

CLASSES_COLUMNS = ["hh_id", "labour_class", "recommended", "measures_this_year", "match", "quality"]
PWJ_COLUMNS = ["hh_id", "person_id", "post", "months"]


def labour_class(base: Base) -> pd.Series:
    """Labour class per household (Series indexed by hh_id, in household order)."""
    p = base.p
    m = base.members[base.members["active"]]
    age = m["age"]
    full = isin(m, "labour_skill", FULL_LABOUR)
    weak = isin(m, "labour_skill", WEAK_LABOUR)
    working = ((age >= p.working_age_min) & (age < p.old_age)).fillna(False).astype(bool)
    adult = (age >= p.working_age_min).fillna(False).astype(bool)
    old = (age >= p.old_age).fillna(False).astype(bool)
    has_full = any_by(m["hh_id"], full & working)
    has_weak = any_by(m["hh_id"], (weak & adult) | (full & old))
    hh = base.households["hh_id"]
    cls = pd.Series(CLASS_NONE, index=hh.index, dtype=object)
    cls[T.isin(hh, has_weak)] = CLASS_WEAK
    cls[T.isin(hh, has_full)] = CLASS_FULL
    return pd.Series(cls.to_numpy(dtype=object), index=hh.to_numpy(dtype=object), name="labour_class")


def safety_net(base: Base) -> pd.DataFrame:
    """Per household: ``covered`` (an active member on 低保 or 特困 per the registry or the 民政 list on the
    reference date) and ``covered_by`` (Chinese evidence text, empty when not covered)."""
    m = base.members
    act = m["active"]
    reg = act & (yes(m, "dibao") | yes(m, "tekun"))
    civ = act & civil_active(base)
    hh = base.households["hh_id"]
    reg_ids, civ_ids = any_by(m["hh_id"], reg), any_by(m["hh_id"], civ)
    by_reg = T.isin_series(hh, reg_ids)
    by_civ = T.isin_series(hh, civ_ids)
    text = (
        pd.Series("贫困人口信息：成员享受低保或特困供养", index=hh.index).where(by_reg, "")
        + pd.Series("；", index=hh.index).where(by_reg & by_civ, "")
        + pd.Series("民政_低保特困：成员在保", index=hh.index).where(by_civ, "")
    )
    return pd.DataFrame(
        {"covered": (by_reg | by_civ).to_numpy(dtype=bool), "covered_by": text.to_numpy(dtype=object)},
        index=hh.to_numpy(dtype=object),
    )


def audit_year_measures(base: Base) -> pd.DataFrame:
    ms = base.measures
    if ms.empty or "year" not in ms:
        return ms.iloc[0:0]
    y = pd.to_numeric(ms["year"], errors="coerce")
    out = ms[(y == base.p.audit_year).fillna(False).astype(bool)].copy()
    out["hh_id"] = col(out, "hh_id")
    out["category"] = col(out, "category")
    return out


def classes_table(base: Base, cls: pd.Series, quality: pd.Series) -> pd.DataFrame:
    """分类施策: one row per household. ``quality`` is indexed by hh_id (A/B for kept exited households)."""
    hh = base.households["hh_id"].to_numpy(dtype=object)
    ms = audit_year_measures(base)
    ms = ms[ms["category"].notna()]
    order = {c: i for i, c in enumerate(S.MEASURE_CATEGORIES)}
    cats = (
        ms[["hh_id", "category"]]
        .drop_duplicates()
        .assign(_o=lambda d: d["category"].map(order).fillna(len(order)))
        .sort_values(["hh_id", "_o"])
    )
    joined = join_by(cats["category"], cats["hh_id"], "、", sort=False)
    rec_pairs = pd.DataFrame([(k, c) for k, v in RECOMMENDED.items() for c in v], columns=["labour_class", "category"])
    with_cls = cats.merge(
        pd.DataFrame({"hh_id": hh, "labour_class": cls.reindex(hh).to_numpy(dtype=object)}), on="hh_id"
    ).merge(rec_pairs, on=["labour_class", "category"])
    matched = set(with_cls["hh_id"])
    labour = cls.reindex(hh).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "hh_id": hh,
            "labour_class": labour,
            "recommended": pd.Series(labour).map(RECOMMENDED_TEXT).to_numpy(dtype=object),
            "measures_this_year": pd.Series(hh).map(joined).fillna("").to_numpy(dtype=object),
            "match": pd.Series(hh).isin(matched).to_numpy(dtype=bool),
            "quality": pd.Series(hh).map(quality).astype(object).where(lambda s: s.notna(), "").to_numpy(dtype=object),
        }
    )


def unstable_pwj(base: Base) -> pd.DataFrame:
    """公益性岗位 held for fewer than ``pwj_min_months`` months by an active member (走读式; months known)."""
    m = base.members[base.members["active"]]
    post = col(m, "pwj_post")
    months = num(m, "pwj_months")
    holder = post.notna() | (months >= 1)
    short = holder & months.notna() & (months < base.p.pwj_min_months)
    sub = m[short.astype(bool)]
    return pd.DataFrame(
        {
            "hh_id": sub["hh_id"].to_numpy(dtype=object),
            "person_id": col(sub, "person_id").to_numpy(dtype=object),
            "post": col(sub, "pwj_post").fillna("").to_numpy(dtype=object),
            "months": months[sub.index].to_numpy(dtype=float),
        },
        columns=PWJ_COLUMNS,
    )
