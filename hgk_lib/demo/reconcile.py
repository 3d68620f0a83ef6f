"""Compare the rule engine's findings on a demo export with the planted ground truth (a development aid)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

KEY = ["rule_id", "part", "hh_id", "person_id", "project_id"]


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reindex(columns=KEY + ["county", "year"]).copy()
    for c in KEY + ["county"]:
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    out["year"] = pd.to_numeric(out["year"], errors="coerce")
    return out


def engine_findings(export: str | Path, year: int = 2019) -> pd.DataFrame:
    """Load every county of ``export`` and run all rules (R09 with the other counties); concatenated findings."""
    from ..io.loader import load_counties
    from ..params import load_params
    from ..rules import make_context, run_rules

    params = load_params(year=year)
    data = load_counties(export, year=year)
    members = {d.folder: d.tables.get("member") for d in data}
    frames = []
    for d in data:
        others = {k: v for k, v in members.items() if k != d.folder and v is not None}
        ctx = make_context(d.tables, params, d.folder, others=others, quarantined_hh=d.quarantined_hh)
        res = run_rules(ctx)
        f = res.findings.copy()
        f["county"] = d.code
        frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEY)


def compare(planted: pd.DataFrame, findings: pd.DataFrame, rules: list[str] | None = None) -> dict:
    """Unit-level set comparison per rule: (rule, part, 户编号, 人编号, 项目编号). Returns missed / unexpected frames."""
    p = _norm(planted)
    f = _norm(findings)
    if rules is not None:
        p, f = p[p["rule_id"].isin(rules)], f[f["rule_id"].isin(rules)]
    pk = p.drop_duplicates(KEY)
    fk = f.drop_duplicates(KEY)
    m = pk.merge(fk[KEY], on=KEY, how="outer", indicator=True)
    return {
        "missed": m[m["_merge"] == "left_only"][KEY + ["county", "year"]],
        "unexpected": m[m["_merge"] == "right_only"][KEY],
        "matched": int((m["_merge"] == "both").sum()),
    }


def summary(result: dict) -> pd.DataFrame:
    a = result["missed"].groupby("rule_id").size().rename("missed")
    b = result["unexpected"].groupby("rule_id").size().rename("unexpected")
    return pd.concat([a, b], axis=1).fillna(0).astype(int).sort_index()


def audit_verdicts(export: str | Path, year: int = 2019) -> pd.DataFrame:
    """Run :func:`hgk_lib.audit.audit_county` on every county; verdicts with ``county``."""
    from ..audit import audit_county
    from ..io.loader import load_counties
    from ..params import load_params

    params = load_params(year=year)
    out = []
    for d in load_counties(export, year=year):
        v = audit_county(d.tables, params).verdicts.copy()
        v["county"] = d.code
        out.append(v)
    return pd.concat(out, ignore_index=True)


def compare_verdicts(households: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Households whose truth verdict / return cause / quality differ from the audit module's."""
    h = households.copy()
    h["hh_id"] = h["hh_id"].astype(str)
    v = verdicts.copy()
    v["hh_id"] = v["hh_id"].astype(str)
    j = h.merge(
        v[["hh_id", "verdict", "return_cause", "quality", "income_pc", "labour_class"]],
        on="hh_id",
        how="left",
        suffixes=("_truth", "_audit"),
    )
    for c in ("verdict", "return_cause", "quality"):
        j[c + "_truth"] = j[c + "_truth"].astype(object).where(j[c + "_truth"].notna(), "").astype(str)
        j[c + "_audit"] = j[c + "_audit"].astype(object).where(j[c + "_audit"].notna(), "").astype(str)
    diff = (
        (j["verdict_truth"] != j["verdict_audit"])
        | (j["return_cause_truth"] != j["return_cause_audit"])
        | (j["quality_truth"].str[:1] != j["quality_audit"].str[:1])
    )
    return j[diff]
