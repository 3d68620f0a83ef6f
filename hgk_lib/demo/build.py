"""Assemble the clean city registry (canonical tables, city-wide with a ``_county`` column)."""

from __future__ import annotations

import numpy as np

from .. import schema as S
from . import population as P
from .departments import department_lists


def generate_clean(seed: int, counties: list[str], households: int | None = None) -> dict:
    rng = np.random.default_rng(seed)
    sizes = P.county_sizes(counties, households)
    hh = P.generate_households(rng, sizes)
    m = P.generate_members(rng, hh)
    m = P.person_attributes(rng, m)
    hh = P.household_attributes(rng, hh, m)
    m = P.safety_net_flags(m, hh)
    taken = set(m["id_no"].tolist())
    m = P.dynamic_events(rng, hh, m, taken)
    heads = m[(m["relation"] == "户主") & (m["member_status"] == "正常")].set_index("hh_id")
    hh["head_name"] = hh["hh_id"].map(heads["name"])
    hh["head_id"] = hh["hh_id"].map(heads["id_no"])
    hh["hh_size"] = hh["A"].astype(int)
    for name, df in (("household", hh), ("member", m)):
        for col in S.TABLES[name].columns:
            if col.kind == "yesno" and col.key in df:
                df[col.key] = df[col.key].astype(object)
    inc = P.income_to_yuan(P.generate_income(rng, hh, m))
    ms = P.generate_measures(rng, hh, m)
    pr, ms = P.generate_projects(rng, hh, ms)
    inc["_county"] = inc["hh_id"].str[:6]
    ms["_county"] = ms["hh_id"].str[:6]
    return {"rng": rng, "household": hh, "member": m, "income": inc, "measure": ms, "project": pr, "taken": taken}


def add_departments(t: dict) -> dict:
    t.update(department_lists(t["rng"], t["household"], t["member"]))
    return t
