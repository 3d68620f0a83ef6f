"""The report to the province (campaign.md §5).

* :func:`write_report_docx` — ``回头看总结报告_<year>.docx``: a draft of the written report (python-docx), sections
  一、基本情况 · 二、主要做法 · 三、发现的问题 · 四、整改情况 · 五、抽查情况 · 六、下一步工作. Every number comes from the
  record (:func:`report_numbers`) or the summaries passed in (``facts``, ``estimates``); the text is templated, the
  office edits it. Only counts, shares and county names: no personal numbers (checked with
  :func:`hgk_lib.report.mask.find_unmasked_pii` before saving).
* :func:`correction_list` / :func:`write_correction_list` — ``省系统更正清单_<year>.xlsx``: one row per field to
  change in the provincial system (县 · 户编号 · 人编号 · 表 · 字段 · 系统原值 · 核实值 · 依据 · 事项编号), from closed
  items whose fix is a value: verified incomes from visits, and items a county closed with a 核实值.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd

from ..io.safe import atomic_write
from .progress import claims_vs_city, stage_timeline, state_table
from .states import CLAIMED, CLOSED, NOT_GENUINE, OPEN, WORKING

REPORT_NAME = "回头看总结报告_{year}.docx"
CORRECTIONS_NAME = "省系统更正清单_{year}.xlsx"
CORRECTION_COLUMNS = ["县", "户编号", "人编号", "表", "字段", "系统原值", "核实值", "依据", "事项编号"]
SECTIONS = ["一、基本情况", "二、主要做法", "三、发现的问题", "四、整改情况", "五、抽查情况", "六、下一步工作"]


def county_label(folder) -> str:
    """A county folder ``441881_英德市`` as its name ``英德市`` (other labels unchanged)."""
    return re.sub(r"^\d{6}_", "", str(folder))


def _pct(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


def report_numbers(con: sqlite3.Connection, as_of) -> dict:
    """The record's numbers the report quotes (the test compares the document against these)."""
    q = lambda sql, *p: con.execute(sql, p).fetchone()[0]  # noqa: E731
    day = str(pd.Timestamp(as_of).date())
    by_state = dict(con.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall())
    total = sum(by_state.values())
    return {
        "counties": q("SELECT COUNT(DISTINCT county) FROM items"),
        "items": total,
        "households": q("SELECT COUNT(*) FROM (SELECT DISTINCT county, hh_id FROM items WHERE hh_id IS NOT NULL)"),
        "by_source": dict(
            con.execute("SELECT source, COUNT(*) FROM items GROUP BY source ORDER BY COUNT(*) DESC").fetchall()
        ),
        "by_state": {s: int(by_state.get(s, 0)) for s in (OPEN, WORKING, CLAIMED, NOT_GENUINE, CLOSED)},
        "closure_rate": (by_state.get(CLOSED, 0) / total) if total else None,
        "overdue": q(
            "SELECT COUNT(*) FROM items WHERE state != '已销号' AND deadline IS NOT NULL AND deadline < ?", day
        ),
        "runs": dict(con.execute("SELECT kind, COUNT(*) FROM runs GROUP BY kind").fetchall()),
        "verified_incomes": q("SELECT COUNT(*) FROM verified_incomes WHERE income_pc IS NOT NULL"),
        "visits": q("SELECT COUNT(*) FROM verified_incomes WHERE conclusion = '已走访'"),
        "spot_items": q("SELECT COUNT(*) FROM items WHERE source = '市抽查'"),
        "claimed": q("SELECT COALESCE(SUM(claimed_closed), 0) FROM items"),
    }


def _estimate_sentence(r) -> str:
    return (
        f"{r['县']}抽查{int(r['抽查户数'])}户，问题户比例估计为{_pct(r['问题户比例'])}，"
        f"有95%的把握认为实际比例在{_pct(r['下限'])}至{_pct(r['上限'])}之间"
    )


def report_text(
    con: sqlite3.Connection,
    year: int,
    as_of,
    params: dict,
    facts: dict | None = None,
    estimates: pd.DataFrame | None = None,
) -> list[tuple[str, list]]:
    """The report as (heading, [paragraph text or DataFrame table]) pairs."""
    facts = facts or {}
    n = report_numbers(con, as_of)
    st = n["by_state"]
    day = pd.Timestamp(as_of).date()
    stages = stage_timeline(con, params, as_of)
    table = state_table(con, as_of)
    per_county = table[table["县"] != "全市"].groupby("县")[["合计", "已销号", "整改不实", "逾期"]].sum().reset_index()
    per_county["销号率"] = (per_county["已销号"] / per_county["合计"]).map(_pct)
    per_county["县"] = per_county["县"].map(county_label)
    sources = "，".join(f"{k}{v}项" for k, v in n["by_source"].items()) or "无"
    out: list[tuple[str, list]] = []
    basic = [f"按照回头看工作方案，全市{n['counties']}个县（市、区）开展了{year}年脱贫户回头看核查。"]
    if facts.get("households_audited") is not None:
        basic.append(
            f"共核查已脱贫户{facts['households_audited']}户"
            + (f"、{facts['people_audited']}人" if facts.get("people_audited") is not None else "")
            + "。"
        )
    basic.append(
        f"截至{day.year}年{day.month}月{day.day}日，整改台账共记录问题事项{n['items']}项，涉及{n['households']}户。"
    )
    out.append((SECTIONS[0], basic))
    did = [
        "一是分阶段推进："
        + "；".join(
            f"{r['阶段']}（{r['开始'] + '至' if isinstance(r['开始'], str) else ''}{r['截止']}）"
            for r in stages.to_dict("records")
            if isinstance(r["截止"], str)
        )
        + "。",
        f"二是数据比对与入户核实相结合：对省扶贫系统导出数据逐户开展规则核查{n['runs'].get('audit', 0)}次，"
        f"需要入户核实的事项统一编入入户核查计划，一户一次走访；已读回县级整改台账和入户核查计划"
        f"{n['runs'].get('collect', 0)}次，入户走访{n['visits']}户，核实人均可支配收入{n['verified_incomes']}户。",
        "三是建立整改台账，逐项销号：每个问题有唯一事项编号、责任部门和整改时限，县里报已整改的事项以更新后的导出数据复核，"
        "复核仍存在的认定为整改不实。",
    ]
    out.append((SECTIONS[1], did))
    out.append(
        (
            SECTIONS[2],
            [
                f"核查共发现问题事项{n['items']}项，按来源分：{sources}。",
                f"其中县里报已整改、经复核或抽查认定整改不实的{st[NOT_GENUINE]}项。",
            ],
        )
    )
    rect = [
        f"截至{day.year}年{day.month}月{day.day}日，已销号{st[CLOSED]}项，销号率{_pct(n['closure_rate'])}；"
        f"县报已整改待复核{st[CLAIMED]}项，整改中{st[WORKING]}项，未整改{st[OPEN]}项，整改不实{st[NOT_GENUINE]}项；"
        f"超过整改时限仍未销号的{n['overdue']}项。各县情况如下表。",
        per_county.rename(columns={"合计": "事项数"})[["县", "事项数", "已销号", "销号率", "整改不实", "逾期"]],
    ]
    out.append((SECTIONS[3], rect))
    spot = []
    if estimates is not None and len(estimates):
        spot.append(
            "市级按风险分层随机抽查，" + "；".join(_estimate_sentence(r) for _, r in estimates.iterrows()) + "。"
        )
    else:
        spot.append("市级抽查结果尚未录入。")
    cvc = claims_vs_city(con)
    if len(cvc) and cvc["市抽查发现问题户"].sum():
        spot.append(
            f"抽查确认存在问题{int(cvc['市抽查发现问题户'].sum())}户，其中县里已报整改或已销号的"
            f"{int(cvc['其中县已报整改或已销号'].sum())}户，县里未发现的{int(cvc['其中县未发现'].sum())}户；"
            f"已作为市抽查问题{n['spot_items']}项反馈各县限期整改。"
        )
        spot.append(cvc[cvc["市抽查发现问题户"] > 0].assign(县=lambda d: d["县"].map(county_label)))
    out.append((SECTIONS[4], spot))
    nxt = [
        f"一是对{n['overdue']}项逾期未销号问题逐项督办，明确责任部门和完成时限。",
        f"二是对{st[NOT_GENUINE]}项整改不实问题重新整改，杜绝数字整改、虚假整改。",
        "三是将核实后的信息录入省扶贫系统（见省系统更正清单），下一次导出数据后再次复核销号。",
        "四是巩固脱贫成果，对收入不稳定、政策性收入占比高的脱贫户加强跟踪帮扶，防止返贫。",
    ]
    out.append((SECTIONS[5], nxt))
    return out


def write_report_docx(
    path,
    con: sqlite3.Connection,
    year: int,
    as_of,
    params: dict,
    facts: dict | None = None,
    estimates: pd.DataFrame | None = None,
    city: str = "",
) -> Path:
    """Write the draft report (atomically). Raises if a personal number would end up in it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    from ..report.mask import find_unmasked_pii

    parts = report_text(con, year, as_of, params, facts, estimates)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{city}{year}年脱贫户回头看工作总结报告（初稿）")
    run.bold = True
    run.font.size = Pt(20)
    texts = [title.text]
    for heading, body in parts:
        h = doc.add_heading(heading, level=1)
        for r in h.runs:
            r.font.name = "SimHei"
            r.font.color.rgb = RGBColor(0, 0, 0)
            r.font.size = Pt(16)
            r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")
        texts.append(h.text)
        for item in body:
            if isinstance(item, pd.DataFrame):
                t = doc.add_table(rows=1, cols=len(item.columns))
                t.style = "Table Grid"
                for j, c in enumerate(item.columns):
                    t.rows[0].cells[j].text = str(c)
                for row in item.astype(object).itertuples(index=False):
                    cells = t.add_row().cells
                    for j, v in enumerate(row):
                        cells[j].text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                texts += [" ".join(str(c) for c in item.columns)] + [" ".join(map(str, r)) for r in item.values]
            else:
                p = doc.add_paragraph(item)
                p.paragraph_format.first_line_indent = Pt(28)
                texts.append(item)
    leak = find_unmasked_pii("\n".join(texts))
    if leak:
        raise ValueError(f"report would contain personal numbers: {len(leak)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp:
        doc.save(str(tmp))
    return path


def correction_list(con: sqlite3.Connection, registry_incomes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of 省系统更正清单 (:data:`CORRECTION_COLUMNS`).

    * each household with a verified income from a visit (核实人均可支配收入) that differs from the system's
      (``registry_incomes``: county, hh_id, recorded_pc; unknown system value: listed): 收入信息 · 人均可支配收入;
    * each item closed or claimed fixed with a value (``items.fixed_value``; ``items.field`` as ``表.字段`` and
      ``items.value`` the system's value)."""
    vi = pd.read_sql_query(
        "SELECT v.county, v.hh_id, v.income_pc, v.origin, "
        "(SELECT group_concat(item_id, '；') FROM items i WHERE i.county = v.county AND i.hh_id = v.hh_id "
        " AND i.source = '收入') AS items FROM verified_incomes v WHERE v.income_pc IS NOT NULL "
        "ORDER BY v.county, v.hh_id",
        con,
    )
    reg = registry_incomes if registry_incomes is not None else pd.DataFrame(columns=["county", "hh_id", "recorded_pc"])
    vi = vi.merge(reg[["county", "hh_id", "recorded_pc"]].astype({"hh_id": str}), on=["county", "hh_id"], how="left")
    recorded = pd.to_numeric(vi["recorded_pc"], errors="coerce")
    vi = vi[recorded.isna() | ((recorded - vi["income_pc"]).abs() >= 0.005)]
    rows = [
        pd.DataFrame(
            {
                "县": vi["county"],
                "户编号": vi["hh_id"],
                "人编号": None,
                "表": "收入信息",
                "字段": "人均可支配收入",
                "系统原值": pd.to_numeric(vi["recorded_pc"], errors="coerce").round(2),
                "核实值": vi["income_pc"].round(2),
                "依据": "入户核查：" + vi["origin"].fillna(""),
                "事项编号": vi["items"],
            }
        )
    ]
    it = pd.read_sql_query(
        "SELECT county, hh_id, person_id, field, value, fixed_value, item_id, state, note FROM items "
        "WHERE fixed_value IS NOT NULL AND state IN ('已销号', '已整改') ORDER BY county, hh_id, item_id",
        con,
    )
    if len(it):
        f = it["field"].fillna("").str.split(".", n=1, expand=True).reindex(columns=[0, 1])
        has_table = f[1].notna()
        rows.append(
            pd.DataFrame(
                {
                    "县": it["county"],
                    "户编号": it["hh_id"],
                    "人编号": it["person_id"],
                    "表": f[0].where(has_table, None),
                    "字段": f[1].where(has_table, f[0]),
                    "系统原值": it["value"],
                    "核实值": it["fixed_value"],
                    "依据": "整改台账：" + it["note"].fillna(it["state"]),
                    "事项编号": it["item_id"],
                }
            )
        )
    out = (
        pd.concat([r for r in rows if len(r)], ignore_index=True)
        if any(len(r) for r in rows)
        else pd.DataFrame(columns=CORRECTION_COLUMNS)
    )
    return out[CORRECTION_COLUMNS].reset_index(drop=True)


def write_correction_list(path, frame: pd.DataFrame, year: int) -> Path:
    """省系统更正清单 workbook (inspectors' file: full numbers; formula-safe, atomic)."""
    from ..report.xlsx import new_workbook, save_workbook, write_table

    wb = new_workbook(f"省系统更正清单_{year}", None)
    write_table(
        wb,
        "更正清单",
        frame.astype(object).where(frame.notna(), None),
        {"户编号": "id", "人编号": "id", "事项编号": "id", "依据": "long", "系统原值": "text", "核实值": "text"},
    )
    save_workbook(wb, path)
    return Path(path)


def estimates_from_evaluation(summary: pd.DataFrame) -> pd.DataFrame:
    """The spot-check evaluation's summary (``hgk_lib.risk.estimate.evaluate(...)["summary"]``: county,
    inspected, p, p_lo, p_hi) as the report's 县 · 抽查户数 · 问题户比例 · 下限 · 上限, 全市 first."""
    s = summary[summary["inspected"].fillna(0) > 0]
    out = pd.DataFrame(
        {
            "县": s["county"].astype(str),
            "抽查户数": s["inspected"].astype(int),
            "问题户比例": s["p"],
            "下限": s["p_lo"],
            "上限": s["p_hi"],
        }
    )
    return pd.concat([out[out["县"] == "全市"], out[out["县"] != "全市"]], ignore_index=True)
