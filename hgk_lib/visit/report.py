"""The visit plan's short section in the county notebook and HTML report: households to visit by township and
village, items by department and the trips saved. Read from the written workbook (what the county receives)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .plan import department_summary, trips_saved

_ITEM_HEADERS = {"事项编号": "item_id", "户编号": "hh_id", "来源": "source", "责任部门": "department"}
_HH_HEADERS = {
    "户编号": "hh_id",
    "乡（镇）": "township",
    "行政村": "village",
    "事项数": "n_items",
    "需核实收入": "income_check",
}


def _read(book, sheet: str, headers: dict) -> pd.DataFrame:
    rows = book.get_sheet_by_name(sheet).to_python()
    if not rows:
        return pd.DataFrame(columns=list(headers.values()))
    df = pd.DataFrame(rows[1:], columns=[str(h) for h in rows[0]])
    return df[[h for h in headers if h in df]].rename(columns=headers).astype(object)


def read_plan(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(走访清单, 核查事项) of a written plan with English keys (only the columns the summary needs)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(Path(path)))
    return _read(book, "走访清单", _HH_HEADERS), _read(book, "核查事项", _ITEM_HEADERS)


def plan_tables(path) -> dict[str, pd.DataFrame]:
    """The notebook's tables: 按乡镇/村 (households, items), 按责任部门 (items, households), 入户次数."""
    hh, items = read_plan(path)
    hh["n_items"] = pd.to_numeric(hh["n_items"], errors="coerce").fillna(0).astype(int)
    by_town = (
        hh.assign(_inc=hh["income_check"] == "是")
        .groupby(["township", "village"], sort=True)
        .agg(需走访户数=("hh_id", "size"), 事项数=("n_items", "sum"), 需核实收入户数=("_inc", "sum"))
        .reset_index()
        .rename(columns={"township": "乡（镇）", "village": "行政村"})
    )
    by_town["需核实收入户数"] = by_town["需核实收入户数"].astype(int)
    t = trips_saved(items)
    trips = pd.DataFrame(
        [
            ("需走访户数", t["households"]),
            ("核查事项数", t["items"]),
            ("各部门分别入户（户×部门）", t["department_trips"]),
            ("一次入户", t["visits"]),
            ("减少入户次数", t["saved"]),
        ],
        columns=["项目", "数量"],
    )
    return {"by_village": by_town, "by_department": department_summary(items), "trips": trips}


def plan_headline(path, tables: dict[str, pd.DataFrame] | None = None) -> str:
    """One Chinese sentence for the report (Markdown); ``tables``: :func:`plan_tables` of ``path`` when already read."""
    t = (tables if tables is not None else plan_tables(path))["trips"].set_index("项目")["数量"]
    return (
        f"需入户核查 **{t['需走访户数']}** 户、**{t['核查事项数']}** 项事项；各部门分别入户需 "
        f"{t['各部门分别入户（户×部门）']} 次，按户一次走访只需 {t['一次入户']} 次，减少 **{t['减少入户次数']}** 次入户。"
        f"入户核查计划：`{Path(path).name}`。"
    )


def path_coverage_for_run(run) -> pd.DataFrame:
    """脱贫路径 of every household of a county run, counted by year (households identified, with measures, gaps)."""
    from .build import DEFAULT_FIRST_YEAR
    from .path import exit_path, path_coverage

    t = run.data.tables
    first = int((run.params.get("measures") or {}).get("first_year", DEFAULT_FIRST_YEAR))
    path = exit_path(
        t["household"],
        t.get("measure"),
        t.get("income"),
        first_year=first,
        audit_year=run.year,
        checked=getattr(run.audit, "income", None),
    )
    return path_coverage(path)
