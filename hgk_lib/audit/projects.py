"""Project library (项目库核查): the rule engine's project findings, and declared vs linked beneficiaries.

* ``project_findings``: findings of R80–R87 that carry a 项目编号 (R86/R87 are household rules and carry none),
  plus R72 part (b) (a measure naming a project that is not in the library). Needs the findings table.
* ``beneficiaries``: for every 到户到人 project with a unique 项目编号: 受益贫困户数/人口数 as declared, and the
  households linked through 帮扶措施.项目编号 (any year, households present in 贫困户信息) with their active members.
"""

from __future__ import annotations

import pandas as pd

from .common import Base, col, yes

PROJECT_FINDING_COLUMNS = ["project_id", "project_name", "rule_id", "description"]
BENEFICIARY_COLUMNS = [
    "project_id",
    "project_name",
    "declared_hh",
    "linked_hh",
    "declared_people",
    "linked_people",
    "difference",
]
PROJECT_RULES = [f"R{i}" for i in range(80, 88)]


def _names(base: Base) -> pd.Series:
    pr = base.project
    if pr is None or "project_id" not in pr:
        return pd.Series(dtype=object)
    return col(pr, "name").set_axis(col(pr, "project_id").to_numpy(dtype=object)).groupby(level=0).first()


def project_findings(base: Base, findings: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    if findings is None:
        return (
            pd.DataFrame({c: pd.Series(dtype=object) for c in PROJECT_FINDING_COLUMNS}),
            ["未提供规则检查结果：项目库核查（规则R72(b)、R80–R85）未列出"],
        )
    f = findings
    pid = col(f, "project_id")
    part = col(f, "part").fillna("")
    keep = (f["rule_id"].isin(PROJECT_RULES) & pid.notna()) | ((f["rule_id"] == "R72") & (part == "b"))
    sub = f[keep.astype(bool)]
    msg = col(sub, "message")
    desc = msg.where(msg.notna() & (msg != ""), col(sub, "rule_name"))
    out = pd.DataFrame(
        {
            "project_id": col(sub, "project_id").to_numpy(dtype=object),
            "project_name": col(sub, "project_id").map(_names(base)).to_numpy(dtype=object),
            "rule_id": sub["rule_id"].astype(object).to_numpy(dtype=object),
            "description": desc.to_numpy(dtype=object),
        }
    )
    return out.sort_values(["project_id", "rule_id"], kind="stable").reset_index(drop=True), []


def beneficiaries(base: Base, all_hh_ids: set) -> tuple[pd.DataFrame, list[str]]:
    pr = base.project
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in BENEFICIARY_COLUMNS})
    if pr is None or "project_id" not in pr:
        return empty, ["未提供项目库：受益对象核对未运行"]
    if "to_household" not in pr:
        return empty, ["项目库缺少“是否到户到人项目”：受益对象核对未运行"]
    pid = col(pr, "project_id")
    unique = ~pid.duplicated(keep=False) & pid.notna()
    sel = pr[(unique & yes(pr, "to_household")).astype(bool)]
    ms = base.measures
    if "project_id" in ms:
        link = (
            pd.DataFrame(
                {
                    "project_id": col(ms, "project_id").to_numpy(dtype=object),
                    "hh_id": col(ms, "hh_id").to_numpy(dtype=object),
                }
            )
            .dropna()
            .drop_duplicates()
        )
        link = link[link["hh_id"].isin(all_hh_ids)]
    else:
        link = pd.DataFrame({"project_id": pd.Series(dtype=object), "hh_id": pd.Series(dtype=object)})
    a = base.households.set_index("hh_id")["A"]
    link = link.assign(people=link["hh_id"].map(a).fillna(0).astype(int))
    g = link.groupby("project_id")
    lh, lp = g["hh_id"].nunique(), g["people"].sum()
    ids = col(sel, "project_id")
    declared_hh = pd.array(pd.to_numeric(col(sel, "beneficiary_hh"), errors="coerce"), dtype="Int64")
    linked_hh = pd.array(ids.map(lh).fillna(0).astype(int), dtype="Int64")
    out = pd.DataFrame(
        {
            "project_id": ids.to_numpy(dtype=object),
            "project_name": col(sel, "name").to_numpy(dtype=object),
            "declared_hh": declared_hh,
            "linked_hh": linked_hh,
            "declared_people": pd.array(pd.to_numeric(col(sel, "beneficiary_people"), errors="coerce"), dtype="Int64"),
            "linked_people": pd.array(ids.map(lp).fillna(0).astype(int), dtype="Int64"),
        }
    )
    out["difference"] = out["declared_hh"] - out["linked_hh"]
    notes = []
    if "project_id" not in ms and len(out):
        notes.append("帮扶措施缺少“项目编号”：项目关联户数按0计")
    return out[BENEFICIARY_COLUMNS].reset_index(drop=True), notes
