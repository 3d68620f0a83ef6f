"""Generate the demo export (one folder per county) and its ground truth (``<out>_truth/``)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S
from . import plant as PL
from . import render as R
from . import truth as T
from .build import add_departments, generate_clean
from .integrity import INTEGRITY_COLS, plant_integrity

TRUTH_FILES = ("planted.csv", "households.csv", "quarantine.csv", "integrity.csv")
PLANTED_COLS = ["county", "rule_id", "part", "unit", "hh_id", "person_id", "project_id", "year", "note"]


def county_folder(code: str) -> str:
    return f"{code}_{S.QINGYUAN_COUNTIES[code]}"


def build_demo(
    seed: int = 2019,
    counties: list[str] | None = None,
    households: int | None = None,
    fmt: str = "mixed",
    k: int | None = None,
    plant_share: float | None = None,
    integrity: bool = True,
) -> dict:
    """All canonical tables (city-wide, ``_county`` column) plus truth frames. Pure: no files written.

    ``integrity``: shared 帮扶责任人, household-specific measure texts and fabricated units for the integrity
    screen (:mod:`hgk_lib.demo.integrity`; truth in ``integrity``). Off for the committed fixture."""
    counties = sorted(counties or list(S.QINGYUAN_COUNTIES))
    t = generate_clean(seed, counties, households)
    rng = t["rng"]
    n = len(t["household"])
    if k is None:
        k = int(min(5, max(2, n // 5000)))
    facts0 = T.quick_income(t)
    P = PL.Planter(t, rng, k, facts0)
    # small runs: plant a random share of the defect kinds so that most households stay clean
    P.share = plant_share if plant_share is not None else (1.0 if n >= 3000 else max(0.15, n / 3000))
    PL.plant_registry(P)
    PL.refresh_projects(P)
    PL.plant_projects(P)
    add_departments(t)
    PL.plant_departments(P)
    quarantine_and_formula(P, counties, fmt)
    if len(counties) == 1:
        P.rows = [r for r in P.rows if r["rule_id"] != "R09"]
    planted = pd.DataFrame(P.rows, columns=PLANTED_COLS)
    fabricated = (
        plant_integrity(t, seed, set(P.used) | set(planted["hh_id"]))
        if integrity
        else pd.DataFrame(columns=INTEGRITY_COLS)
    )
    # truth on what the loader yields (quarantined rows removed)
    m = t["member"]
    seen = dict(t)
    seen["member"] = m[~m.get("_quarantine", pd.Series(False, index=m.index)).fillna(False).astype(bool)]
    facts = T.household_facts(seen)
    planted_hh = set(planted["hh_id"])
    facts = T.hidden_risk(rng, facts, t, planted_hh)
    t["inspection"] = T.inspection_history(rng, facts, t["household"])
    hh = t["household"].drop_duplicates("hh_id").set_index("hh_id")
    households_df = pd.DataFrame(
        {
            "county": hh["_county"].reindex(facts.index).to_numpy(),
            "hh_id": facts.index,
            "exit_status": hh["exit_status"].reindex(facts.index).to_numpy(),
            "clean": ~facts.index.isin(list(planted_hh)),
            "verdict": facts["verdict"].to_numpy(),
            "return_cause": facts["return_cause"].to_numpy(),
            "quality": facts["quality"].to_numpy(),
            "true_problem": facts["true_problem"].to_numpy(),
            "true_problem_prob": facts["true_problem_prob"].to_numpy(),
            "verified_income_pc": facts["verified_income_pc"].to_numpy(),
            "true_conclusion": facts["true_conclusion"].to_numpy(),
            "labour_class": facts["cls"].to_numpy(),
            "income_pc": facts["I"].to_numpy(),
            "basic_needs_problem": facts["P"].to_numpy(),
        }
    )
    return {
        "seed": seed,
        "tables": t,
        "planted": planted,
        "households": households_df,
        "integrity": fabricated,
        "raw": P.raw,
        "quarantine_people": P.quarantine,
        "counties": counties,
        "fmt": fmt,
    }


def quarantine_and_formula(P, counties, fmt):
    """18-digit IDs stored as Excel numbers (lost digits: the loader quarantines them) and one formula-like name."""
    t, f = P.t, P.f
    m = t["member"]
    m["_quarantine"] = False
    m["_as_number"] = m.get("_as_number", pd.Series(False, index=m.index)).fillna(False).astype(bool)
    xl = [c for c in counties if fmt == "xlsx" or (fmt == "mixed" and not R.PROFILES[c].get("csv"))]
    if not xl:
        return
    c = PL._cols(m)
    ok = (
        c["active"]
        & ~c["head"]
        & c["healthy"]
        & ~c["works"]
        & ~c["post"]
        & ~c["flag"]
        & ~c["student"]
        & ~c["dis"]
        & m["id_no"].astype(str).str.fullmatch(r"\d{18}").to_numpy()
        & m["_county"].isin(xl).to_numpy()
        & (c["age"] < 60)
        & ~c["soldier"]
    )
    share, P.share = P.share, 1.0
    for i in P.pick_members(ok, hmask=(f["n_cap"] >= 2) & (f["A"] >= 3) & ~f["_dibao"] & ~f["removed19"], k=P.k):
        m.loc[i, "_quarantine"] = True
        h = m.loc[i, "hh_id"]
        P.quarantine.append(i)
        P.rec("R16", "", h, note="副作用：成员证件号码以数字存储丢失末位，读入时隔离")
        P.rec("R38", "", h, year=2019, note="副作用：成员证件号码以数字存储丢失末位，读入时隔离")
    for i in P.pick_members(c["active"] & ~c["head"] & m["_county"].isin(xl).to_numpy(), k=1):
        name = m.loc[i, "name"]
        m.loc[i, "name"] = f'=HYPERLINK("http://x","{name}")'
        if "police" in t:
            p = t["police"]
            p.loc[(p["id_no"] == m.loc[i, "_dept_id"]).to_numpy(), "name"] = None
    P.share = share


def write_demo(demo: dict, out: str | Path, truth: str | Path | None = None) -> dict:
    """Write the county folders and the truth folder; return timing and counts."""
    out = Path(out)
    truth = Path(truth) if truth else out.parent / (out.name + "_truth")
    out.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    t = demo["tables"]
    rng = np.random.default_rng([int(demo["seed"]), 11])
    raw = {}
    for table, lab, key, text in demo["raw"]:
        raw.setdefault(table, {})[(lab, key)] = text
    qrows = []
    for code in demo["counties"]:
        folder = out / county_folder(code)
        (folder / S.DEPARTMENT_DIR).mkdir(parents=True, exist_ok=True)
        prof = R.PROFILES[code]
        for name, table in S.TABLES.items():
            df = t.get(name)
            if df is None:
                continue
            df = df[df["_county"] == code] if "_county" in df else df
            as_csv = demo["fmt"] == "csv" or (demo["fmt"] == "mixed" and prof.get("csv"))
            xlsx = not as_csv
            headers, values, labels = R.render_table(df, table, code, rng, xlsx, raw.get(name))
            top = R.title_rows(code, table, len(headers)) if name in prof.get("titles", set()) else []
            base = folder / S.DEPARTMENT_DIR if table.department else folder
            if xlsx:
                path = base / f"{table.file}.xlsx"
                R.write_xlsx(path, top, headers, values, table.label)
            else:
                path = base / f"{table.file}.csv"
                R.write_csv(path, top, headers, values, prof.get("encodings", {}).get(name, "utf-8"))
            if name == "member" and "_quarantine" in df and xlsx:
                q = df["_quarantine"].fillna(False).to_numpy().astype(bool)
                col = [c.key for c in table.columns if c.key in df.columns].index("id_no")
                col += 1 if prof.get("extra", {}).get("member") == "序号" else 0
                for pos in np.flatnonzero(q):
                    qrows.append(
                        {
                            "county": code,
                            "file": str(path.relative_to(out)),
                            "sheet": table.label,
                            "row": len(top) + 2 + int(pos),
                            "column": S.MEMBER.column("id_no").header,
                            "value": repr(values[pos, col]),
                            "hh_id": df["hh_id"].iloc[pos],
                            "person_id": df["person_id"].iloc[pos],
                            "reason": "证件号码以数字存储，超过15位有效数字已丢失末位",
                        }
                    )
    demo["planted"].to_csv(truth / "planted.csv", index=False, encoding="utf-8")
    demo["households"].to_csv(truth / "households.csv", index=False, encoding="utf-8")
    if len(demo.get("integrity", ())):
        demo["integrity"].to_csv(truth / "integrity.csv", index=False, encoding="utf-8")
    pd.DataFrame(
        qrows, columns=["county", "file", "sheet", "row", "column", "value", "hh_id", "person_id", "reason"]
    ).to_csv(truth / "quarantine.csv", index=False, encoding="utf-8")
    return {
        "out": str(out),
        "truth": str(truth),
        "households": len(demo["households"]),
        "planted": len(demo["planted"]),
        "quarantined": len(qrows),
    }


def generate_demo_export(out, seed=2019, counties=None, households=None, fmt="mixed", truth=None, **kw) -> dict:
    t0 = time.time()
    demo = build_demo(seed, counties, households, fmt, **kw)
    t1 = time.time()
    info = write_demo(demo, out, truth)
    info["seconds_generate"] = round(t1 - t0, 1)
    info["seconds_write"] = round(time.time() - t1, 1)
    return info
