"""Consistency checks the notebooks assert: a failure fails the county's (or the city's) run."""

from __future__ import annotations

import pandas as pd

from ..io.safe import read_json
from .county import CountyRun
from .paths import CITY_OUT_DIRNAME, resolve_path
from .views import _audit_frame


def _sheet_names_and_rows(path, sheet: str) -> tuple[list[str], int]:
    """Sheet names of a workbook and the number of data rows (below the header) of one sheet (fast: calamine)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    names = list(wb.sheet_names)
    if sheet not in names:
        return names, 0
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return names, max(0, len([r for r in rows if any(v not in (None, "") for v in r)]) - 1)


def output_checks(run: CountyRun, paths: dict) -> pd.DataFrame:
    """Invariants every county run must satisfy (the notebook asserts them; a failure fails the county's run).

    * every table's rows read = rows loaded + rows quarantined (nothing silently dropped);
    * every exited household has exactly one verdict, and no verdict is given to anyone else;
    * every verdict is one of the standard's;
    * the ledger has the sheets of outputs.md in order, then 市抽查整改意见 and 数据真实性筛查 (the campaign's added
      sheets, in that order), and 问题清单 one row per finding;
    * summary.json counts the same findings and verdicts.
    """
    from ..report.ledger import SHEET_NAMES, SPOT_SHEET, STATUS_SHEET
    from ..report.summary import VERDICTS, no_active_households
    from ..schema import EXITED

    checks = []
    rl = getattr(run.data, "ledger", None)
    if rl is not None and len(rl):
        num = rl[["rows_read", "rows_loaded", "rows_quarantined"]].apply(pd.to_numeric, errors="coerce").fillna(0)
        bad = rl.loc[num["rows_read"] != num["rows_loaded"] + num["rows_quarantined"], "table"]
        checks.append(("行数台账平衡：读取 = 载入 + 隔离", bad.empty, "、".join(map(str, bad)) or "全部平衡"))
    hh = run.data.tables.get("household")
    v = _audit_frame(run, "verdicts")
    if hh is not None and "exit_status" in hh:
        exited = pd.Index(hh.loc[hh["exit_status"].astype(object).isin(EXITED), "hh_id"].dropna().astype(str))
        # no active member: no verdict
        exited = exited.unique().difference(pd.Index(no_active_households(run.audit, hh)["hh_id"].astype(str)))
        given = v["hh_id"].dropna().astype(str)
        dup = int(given.duplicated().sum())
        given_ids = pd.Index(given).unique()
        missing, extra = len(exited.difference(given_ids)), len(given_ids.difference(exited))
        checks.append(
            (
                "每个已脱贫户恰有一个核查结论",
                missing == 0 and extra == 0 and dup == 0,
                f"已脱贫 {len(exited)} 户，结论 {len(given)} 条，重复 {dup}，缺 {missing}，多 {extra}",
            )
        )
    unknown = sorted(set(v["verdict"].dropna().astype(str)) - set(VERDICTS))
    checks.append(("核查结论均为标准规定的结论", not unknown, "、".join(unknown) or "是"))
    names, n_rows = _sheet_names_and_rows(paths["ledger"], STATUS_SHEET)
    from ..integrity.outputs import SHEET_NAME as INTEGRITY_SHEET

    want = SHEET_NAMES + [SPOT_SHEET, INTEGRITY_SHEET]  # outputs.md's listed sheets, then the campaign's added ones
    checks.append(
        (
            "台账工作表齐全且顺序正确（所列工作表，然后市抽查整改意见、数据真实性筛查）",
            names[: len(want)] == want,
            "、".join(names[: len(want)]),
        )
    )
    checks.append(
        ("问题清单每条问题一行", n_rows == len(run.findings), f"台账 {n_rows} 行，问题 {len(run.findings)} 条")
    )
    summ = read_json(paths["summary"]) or {}
    ok = summ.get("findings", {}).get("total") == len(run.findings) and summ.get("households", {}).get(
        "verdicts_given"
    ) == len(v)
    checks.append(
        (
            "summary.json 与台账一致",
            ok,
            f"问题 {summ.get('findings', {}).get('total')}，结论 {summ.get('households', {}).get('verdicts_given')}",
        )
    )
    return pd.DataFrame(checks, columns=["检查项", "通过", "说明"])


def city_checks(summaries: list[dict], status: pd.DataFrame, output_root, year: int, workbook) -> pd.DataFrame:
    """Invariants of the city roll-up (the city notebook asserts them).

    * every county folder with a ``summary.json`` is in the roll-up;
    * the 整改状态 read back equals the findings each county reported (one ledger row per finding);
    * the city workbook exists with its sheets.
    """
    from openpyxl import load_workbook

    from ..report.city import CITY_SHEETS

    base = resolve_path(output_root) / str(int(year))
    on_disk = sorted(p.parent.name for p in base.glob("*/summary.json") if p.parent.name != CITY_OUT_DIRNAME)
    rolled = sorted(str((s.get("county") or {}).get("folder")) for s in summaries)
    checks = [("每个有 summary.json 的县都已汇总", on_disk == rolled, f"{len(rolled)} 个县")]
    per_county = {
        str((s.get("county") or {}).get("folder")): int((s.get("findings") or {}).get("total") or 0) for s in summaries
    }
    read = status.groupby("county_folder").size().to_dict() if len(status) else {}
    diff = sorted(c for c, n in per_county.items() if int(read.get(c, 0)) != n)
    checks.append(
        ("读回的整改状态条数与各县问题条数一致", not diff, "、".join(diff) or f"共 {sum(per_county.values())} 条")
    )
    wb = load_workbook(workbook, read_only=True)
    try:
        names = wb.sheetnames
    finally:
        wb.close()
    want = [s.name for s in CITY_SHEETS]
    checks.append(("全市汇总表工作表齐全", names[: len(want)] == want, "、".join(names)))
    return pd.DataFrame(checks, columns=["检查项", "通过", "说明"])
