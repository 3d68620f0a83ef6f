"""入户核查计划_<县名>_<year>.xlsx: 走访清单 · 核查事项 · 按村汇总 · 入户核查表 · 说明 (campaign.md §1).

The data sheets follow the ledger's conventions (:mod:`hgk_lib.report.xlsx`: text IDs, no formula from the data,
frozen header, autofilter, fitted widths, print layout of outputs.md). 入户核查表 is the printable form: each
household starts on a new page (manual row breaks), with its members, its 脱贫路径 and every item with boxes to tick
and room to write. Row heights are set explicitly and the pages are cut by this module (:func:`paginate`), so a
household's item list is never split by a page break unless it is longer than a whole page.
"""

from __future__ import annotations

from copy import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.xml.functions import fromstring

from ..items import key_text
from ..report.provenance import run_datetime
from ..text import arrow_text, isin
from ..report.xlsx import (
    FORMULA_RE2,
    ILLEGAL_XML,
    ILLEGAL_XML_RE2,
    KIND_LABELS,
    MAX_CELL_CHARS,
    ROWS_PER_BLOCK,
    Col,
    SheetSpec,
    close_xml_stream,
    frame_for,
    is_formula_like,
    join_texts,
    joined_bytes,
    new_workbook,
    open_xml_stream,
    save_workbook,
    set_print_layout,
    write_table,
    xml_text,
    xml_text_array,
)
from .build import VisitPlan
from .path import NOT_YET

CONCLUSIONS = ["已走访", "无法入户", "户已不存在"]
RESULTS = ["属实", "不属实", "现场已整改", "无法核实"]
FORM_SHEET = "入户核查表"

C = Col
SHEETS: list[SheetSpec] = [
    SheetSpec(
        "走访清单",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("乡（镇）", "township", "text", "乡（镇）"),
            C("行政村", "village", "text", "行政村"),
            C("户主姓名", "head_name", "text", "户主姓名"),
            C("联系电话", "phone", "id", "户的联系电话"),
            C("帮扶责任人", "helper_name", "text", "帮扶责任人"),
            C("帮扶责任人联系电话", "helper_phone", "id", "帮扶责任人联系电话"),
            C("最近走访日期", "last_visit", "date", "系统中的最近走访日期"),
            C("事项数", "n_items", "int", "本户需核查的事项数"),
            C("核查事项", "items", "long", "本户全部核查事项（简称，以“；”分隔），明细见“核查事项”表"),
            C("需核实收入", "income_check", "text", "是：需入户核实收入（核查结论、收入接近脱贫线或收入类规则问题）"),
            C("走访结论", "conclusion", "text", "下拉选择：已走访 / 无法入户 / 户已不存在（走访后填写）"),
            C("核实人均可支配收入", "verified_income", "amount", "入户核实的人均可支配收入（元，走访后填写）"),
            C("走访人", "visitor", "text", "走访人（走访后填写）"),
            C("走访日期", "visit_date", "date", "走访日期（走访后填写）"),
            C("备注", "remark", "long", "备注"),
        ],
        "每户一行，按乡（镇）、行政村、户编号排序；村工作队、行业部门与帮扶责任人一次入户核查全部事项",
    ),
    SheetSpec(
        "核查事项",
        [
            C("事项编号", "item_id", "id", "事项编号（与台账问题编号一致，读回时用于对应）"),
            C("户编号", "hh_id", "id", "户编号"),
            C("人编号", "person_id", "id", "人编号（按人的事项）"),
            C("来源", "source", "text", "规则 / 收入 / 三保障 / 动态管理 / 分类施策 / 数据真实性"),
            C("规则编号", "rule_id", "text", "规则编号（来源为规则时）"),
            C("内容", "content", "long", "需核查的内容"),
            C("责任部门", "department", "text", "负责核实整改的部门"),
            C("核实结果", "result", "text", "下拉选择：属实 / 不属实 / 现场已整改 / 无法核实（走访后填写）"),
            C("说明", "note", "long", "核实情况说明（走访后填写）"),
        ],
        "每户每个事项一行",
        extras=[
            C("乡（镇）", "township", "text", "乡（镇）"),
            C("行政村", "village", "text", "行政村"),
            C("户主姓名", "head_name", "text", "户主姓名"),
            C("姓名", "person_name", "text", "按人事项的成员姓名"),
            C("问题类型", "code", "text", "规则编号、核查结论、三保障问题类型、动态管理类型或“不匹配”"),
            C("整改状态", "state", "text", "整改记录中该事项的状态：未整改 / 整改中 / 已整改 / 整改不实 / 已销号"),
        ],
    ),
    SheetSpec(
        "按村汇总",
        [
            C("乡（镇）", "township", "text", "乡（镇）"),
            C("行政村", "village", "text", "行政村"),
            C("需走访户数", "households", "int", "需走访的户数"),
            C("事项数", "items", "int", "核查事项数"),
            C("需核实收入户数", "income_households", "int", "需入户核实收入的户数"),
        ],
        "每个行政村一行：需走访户数、事项数与需核实收入户数",
    ),
]
EXPLAIN = SheetSpec(
    "说明",
    [
        C("类别", "category", "text", "信息类别"),
        C("项目", "item", "text", "名称"),
        C("内容", "value", "long", "取值"),
        C("备注", "note", "long", "补充说明"),
    ],
    "县、核查年度、运行时间、走访条件、各表说明、主要数字",
)
SHEET_NAMES = ["走访清单", "核查事项", "按村汇总", FORM_SHEET, "说明"]

# ------------------------------------------------------------------------------------------------------------
# the printable form
# ------------------------------------------------------------------------------------------------------------
#: Column widths of 入户核查表 (A..H). Their sum (120 characters, about 660 pt) stays inside an A4 landscape page
#: between 1.5 cm margins (757 pt) in Excel and LibreOffice alike, so "fit to one page wide" prints at 100 % and
#: the row heights below are the printed heights.
FORM_WIDTHS = [6, 9, 12, 27, 14, 15, 18, 19]
FORM_COLS = [get_column_letter(i) for i in range(1, 9)]
LINE_PT = 14.0
FORM_MARGIN_CM = 1.0
#: Usable height of one A4 landscape page in points at 100 % (595 pt − 2 × 1 cm margins − footer − the repeated
#: title row ≈ 515 pt),
#: kept below the real figure so that LibreOffice/Excel never add a break of their own.
PAGE_PT = 500.0
#: kind -> merged column spans (1-based, inclusive)
MERGES = {
    "title": [(1, 8)],
    "info": [(1, 8)],
    "section": [(1, 8)],
    "path": [(3, 4)],
    "path_head": [(3, 4)],
    "item": [(7, 8)],
    "item_head": [(7, 8)],
    "concl": [(1, 8)],
    "nothing": [(1, 8)],
}
MIN_HEIGHT = {"title": 22.0, "item": 48.0, "concl": 26.0}
BORDERLESS = {"title", "info", "concl"}
BOX = "□属实　□不属实\n□现场已整改\n□无法核实"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
GAP_FONT = Font(color="C00000", bold=True)
MEMBER_HEAD = ["序号", "姓名", "与户主关系", "人编号", "性别·年龄", "健康状况", "劳动技能", "在校状况·人员状态"]
PATH_HEAD = ["年度", "阶段", "帮扶措施（按类别）", None, "人均可支配收入", "复核人均收入", "数据来源", "备注"]
ITEM_HEAD = ["序号", "来源", "事项编号", "核查内容", "责任部门", "核实结果（√）", "核实情况说明（填写）", None]


def _t(s) -> pd.Series:
    return key_text(pd.Series(s, dtype=object) if not isinstance(s, pd.Series) else s)


def _each_number(v: pd.Series, fmt) -> pd.Series:
    """``fmt(x)`` of every number of ``v`` (blank for missing), called once per distinct number."""
    x = v.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(x)
    codes, uniques = pd.factorize(x[present].view(np.int64))  # by bits: -0.0 is formatted apart from 0.0
    out = np.full(len(x), "", dtype=object)
    out[present] = np.array([fmt(u) for u in uniques.view(np.float64)], dtype=object)[codes]
    return pd.Series(out, index=v.index)


def _ages(birth: pd.Series, ref: pd.Timestamp) -> pd.Series:
    b = pd.to_datetime(birth, errors="coerce")
    before = (b.dt.month > ref.month) | ((b.dt.month == ref.month) & (b.dt.day > ref.day))
    age = ref.year - b.dt.year - before.astype(int)
    return _each_number(age, lambda a: f"{int(a)}岁")


def _money(x) -> pd.Series:
    return _each_number(pd.to_numeric(x, errors="coerce"), lambda a: f"{a:,.2f}")


def _rows(hh_pos, part: int, kind: str, sub, cols: dict) -> pd.DataFrame:
    n = len(hh_pos)
    data = {
        "pos": np.asarray(hh_pos),
        "part": part,
        "sub": np.asarray(sub) if not np.isscalar(sub) else np.full(n, sub),
        "kind": kind,
    }
    for c in FORM_COLS:  # as text (pyarrow-backed str): the columns stay Arrow text up to the sheet XML
        v = cols.get(c, "")
        if isinstance(v, pd.Series) and arrow_text(v) is not None:
            data[c] = v.array
        else:
            data[c] = _as_str(np.full(n, v, dtype=object) if np.ndim(v) == 0 else np.asarray(v, dtype=object))
    return pd.DataFrame(data)


def _as_str(values: np.ndarray):
    """Values as a pyarrow-backed ``str`` array; text Arrow cannot hold (lone surrogates) stays as objects."""
    try:
        return pd.array(values, dtype="str")
    except UnicodeEncodeError:
        return values


def form_rows(plan: VisitPlan, county_name: str, year: int, reference_date) -> pd.DataFrame:
    """Every row of 入户核查表 (one frame; columns pos, part, sub, kind, A..H), households in the 走访清单 order."""
    hh = plan.households.reset_index(drop=True)
    pos = pd.Series(np.arange(len(hh)), index=hh["hh_id"].to_numpy())
    ref = pd.Timestamp(reference_date)
    one = hh.index.to_numpy()
    hh_id, head = _t(hh["hh_id"]), _t(hh["head_name"])
    frames = []
    # 0 title and household line
    frames.append(_rows(one, 0, "title", 0, {"A": "入户核查表　户编号：" + hh_id + "　户主：" + head}))
    info = (
        "乡（镇）："
        + _t(hh["township"])
        + "　行政村："
        + _t(hh["village"])
        + "　联系电话："
        + _t(hh["phone"])
        + "　帮扶责任人："
        + _t(hh["helper_name"])
        + "（"
        + _t(hh["helper_phone"])
        + "）　最近走访日期："
        + pd.to_datetime(hh["last_visit"], errors="coerce").dt.strftime("%Y-%m-%d").fillna("无记录")
        + "　核查事项："
        + hh["n_items"].astype(str)
        + " 项"
        + np.where(hh["income_check"] == "是", "（需核实收入）", "")
    )
    frames.append(_rows(one, 0, "info", 1, {"A": info}))
    # 1 members
    m = plan.members.copy()
    m = m.assign(_h=_t(m["hh_id"]) if len(m) else pd.Series(dtype=object))
    m = m[isin(m["_h"], pos.index)]
    for c in (
        "person_id",
        "name",
        "relation",
        "sex",
        "birth_date",
        "health",
        "labour_skill",
        "school_status",
        "education",
        "member_status",
    ):
        if c not in m:
            m[c] = None
    m = m.assign(_p=m["_h"].map(pos), _id=_t(m["person_id"])).sort_values(["_p", "_id"], kind="mergesort")
    n_mem = m.groupby("_p").size().reindex(range(len(hh)), fill_value=0)
    frames.append(_rows(one, 1, "section", 0, {"A": "一、家庭成员（" + n_mem.astype(str).to_numpy() + " 人）"}))
    frames.append(_rows(one, 1, "head", 1, dict(zip(FORM_COLS, MEMBER_HEAD))))
    if len(m):
        seq = m.groupby("_p").cumcount() + 1
        school = _t(m["school_status"])
        school = school.where(school != "", _t(m["education"]))
        name = _t(m["name"])
        frames.append(
            _rows(
                m["_p"],
                1,
                "member",
                2 + seq.to_numpy(),
                {
                    "A": seq.astype(str),
                    "B": name,
                    "C": _t(m["relation"]),
                    "D": m["_id"],
                    "E": _t(m["sex"]) + " " + _ages(m["birth_date"], ref),
                    "F": _t(m["health"]),
                    "G": _t(m["labour_skill"]),
                    "H": school + "·" + _t(m["member_status"]),
                },
            )
        )
    # 2 exit path
    p = plan.path.assign(_p=plan.path["hh_id"].map(pos))
    first = int(p["year"].min()) if len(p) else year
    frames.append(
        _rows(
            one,
            2,
            "section",
            0,
            {
                "A": f"二、脱贫路径（{first}—{year}年：帮扶措施按类别、"
                f"人均可支配收入（元）及数据来源；复核为本次按核查口径重算）"
            },
        )
    )
    frames.append(_rows(one, 2, "path_head", 1, dict(zip(FORM_COLS, PATH_HEAD))))
    if len(p):
        what = _t(p["measures"]).where(~p["gap"], "（无帮扶措施）").where(p["stage"] != NOT_YET, "—")
        frames.append(
            _rows(
                p["_p"],
                2,
                "path",
                2 + (p["year"] - first).to_numpy(),
                {
                    "A": p["year"].astype(str),
                    "B": _t(p["stage"]),
                    "C": what,
                    "E": _money(p["recorded_pc"]),
                    "F": _money(p["checked_pc"]),
                    "G": _t(p["data_source"]),
                    "H": _t(p["note"]),
                },
            )
        )
    # 3 items
    it = plan.items.assign(_p=plan.items["hh_id"].map(pos))
    names = (
        pd.Series(name.to_numpy(), index=(m["_h"] + "|" + m["_id"]).to_numpy()) if len(m) else pd.Series(dtype=object)
    )
    names = names[~names.index.duplicated()]
    who = (it["hh_id"] + "|" + _t(it["person_id"])).map(names).astype(object).fillna("")
    n_it = it.groupby("_p").size().reindex(range(len(hh)), fill_value=0)
    frames.append(
        _rows(
            one,
            3,
            "section",
            0,
            {
                "A": "三、核查事项（户编号 "
                + hh_id
                + "　户主 "
                + head
                + "："
                + n_it.astype(str).to_numpy()
                + " 项，逐项核实，在核实结果处打√并填写说明）"
            },
        )
    )
    frames.append(_rows(one, 3, "item_head", 1, dict(zip(FORM_COLS, ITEM_HEAD))))
    seq = it.groupby("_p").cumcount() + 1
    source, rule = _t(it["source"]), _t(it["rule_id"])
    src = source.where(rule == "", source + " " + rule)
    frames.append(
        _rows(
            it["_p"],
            3,
            "item",
            2 + seq.to_numpy(),
            {
                "A": seq.astype(str),
                "B": src,
                "C": _t(it["item_id"]),
                "D": np.where(who != "", "〔" + who + "〕", "") + _t(it["content"]),
                "E": _t(it["department"]),
                "F": BOX,
            },
        )
    )
    # 4 conclusion
    frames.append(
        _rows(
            one,
            4,
            "concl",
            0,
            {"A": "走访结论：□已走访　□无法入户　□户已不存在　　　　核实人均可支配收入：＿＿＿＿＿＿＿＿元"},
        )
    )
    frames.append(
        _rows(
            one,
            4,
            "concl",
            1,
            {
                "A": "走访人（签字）：＿＿＿＿＿＿＿＿　　走访日期：＿＿＿＿年＿＿月＿＿日"
                "　　户主（签字）：＿＿＿＿＿＿＿＿"
            },
        )
    )
    rows = pd.concat(frames, ignore_index=True).sort_values(["pos", "part", "sub"], kind="mergesort")
    rows = rows.reset_index(drop=True)
    for c in FORM_COLS:
        rows[c] = form_text(rows[c])
    rows["height"] = row_heights(rows)
    return rows


def form_text(values: pd.Series) -> pd.Series:
    """The text a form cell shows: ``str`` of the value (blank for missing) without the characters XML forbids,
    as a ``str`` Series."""
    arr = arrow_text(values)
    if arr is not None:
        t = values
        arr = pc.fill_null(arr, "")
    else:
        t = values.astype(object).where(values.notna(), "").astype(str)
        arr = arrow_text(t)
    if arr is None:  # text Arrow cannot hold (lone surrogates): Python's regex removes them
        return t.str.replace(ILLEGAL_XML, "", regex=True)
    if pc.any(pc.match_substring_regex(arr, ILLEGAL_XML_RE2)).as_py():
        arr = pc.replace_substring_regex(arr, ILLEGAL_XML_RE2, "")
    return pd.Series(pd.array(arr, dtype=t.dtype), index=t.index)


def _text_arrow(text: pd.Series) -> pa.Array:
    """A text column as a pyarrow array with no nulls (missing values as empty text)."""
    arr = arrow_text(text)
    if arr is not None and not arr.null_count:
        return arr
    return pa.array(text.astype(object).where(text.notna(), "").astype(str).to_numpy(dtype=object), type=pa.string())


def _display_width(text: pd.Series) -> np.ndarray:
    """Printed width of each text in narrow-character units, from its UTF-8 size: ASCII counts 1, a 3-byte character
    (Chinese, full-width punctuation) 2 — computed in Arrow, not character by character. Three-byte symbols that
    print narrow (— … √ □) count 2 as well, which only makes a row a little taller, never cut."""
    arr = _text_arrow(text)
    chars = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    size = pc.binary_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    return chars + (size - chars) // 2


def _lines(text: pd.Series, usable: np.ndarray) -> np.ndarray:
    """Wrapped lines of each cell: every ``\n``-separated part takes ceil(display width / usable width) lines."""
    multi = np.asarray(text.str.contains("\n", regex=False), dtype=bool)  # few cells hold several lines
    width = _display_width(text)
    n = np.maximum(np.ceil(width / usable), 1).astype(float)
    if multi.any():
        parts = text[multi].str.split("\n").explode()
        w = pd.Series(_display_width(parts), index=parts.index)
        k = np.ceil(w / pd.Series(usable, index=text.index).reindex(parts.index).to_numpy()).clip(lower=1)
        n[multi] = k.groupby(level=0).sum().reindex(text.index[multi]).to_numpy(float)
    return n


def row_heights(rows: pd.DataFrame) -> pd.Series:
    """Row heights in points: the most wrapped lines of any cell (merged cells count their whole width)."""
    kinds = rows["kind"].to_numpy(dtype=object)
    lines = np.ones(len(rows))
    for j, c in enumerate(FORM_COLS, start=1):
        w = np.full(len(rows), float(FORM_WIDTHS[j - 1]))
        for kind, spans in MERGES.items():
            for a, b in spans:
                if a == j:
                    w[kinds == kind] = float(sum(FORM_WIDTHS[a - 1 : b]))
        lines = np.maximum(lines, _lines(rows[c], (w - 0.5).clip(min=2)))
    h = pd.Series(lines * LINE_PT + 4, index=rows.index)
    h = np.maximum(h, rows["kind"].map(MIN_HEIGHT).fillna(0))
    return h.where(rows["kind"] != "title", np.maximum(h, 22.0))


def paginate(rows: pd.DataFrame, page_pt: float = PAGE_PT) -> list[int]:
    """Positions (0-based, into ``rows``) of the rows after which a page break goes.

    Every household ends with a break. A household taller than a page also breaks before its item list, and an item
    list taller than a page breaks between items (never inside one). ``rows`` are in household order."""
    pos = rows["pos"].to_numpy()
    h, part, kind = rows["height"].to_numpy(float), rows["part"].to_numpy(), rows["kind"].to_numpy(dtype=object)
    if not len(pos):
        return []
    starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
    ends = np.r_[starts[1:], len(pos)]
    breaks = set((ends - 1).tolist())
    total = np.add.reduceat(h, starts)
    for a, b in zip(starts[total > page_pt], ends[total > page_pt]):  # only the few households taller than a page
        g_part, g_h, g_kind = part[a:b], h[a:b], kind[a:b]
        head = np.flatnonzero(g_part < 3)
        if len(head) and (g_part >= 3).any():
            breaks.add(int(a + head[-1]))
        acc = 0.0
        for k in np.flatnonzero(g_part >= 3):
            if acc + g_h[k] > page_pt and acc > 0 and g_kind[k] in ("item", "concl"):
                breaks.add(int(a + k - 1))
                acc = 0.0
            acc += g_h[k]
    return sorted(int(b) for b in breaks)


_STYLE_CACHE: dict = {}


def _styled(ws, key: tuple, font, fill, border: bool, wrap: bool, align: str):
    """A template cell per style (styles are hashed once per workbook, not once per cell)."""
    ck = (id(ws.parent), key)
    t = _STYLE_CACHE.get(ck)
    if t is None:
        t = WriteOnlyCell(ws)
        t.alignment = Alignment(wrap_text=wrap, vertical="center", horizontal=align)
        if font is not None:
            t.font = font
        if fill is not None:
            t.fill = fill
        if border:
            t.border = BORDER
        _STYLE_CACHE.clear() if len(_STYLE_CACHE) > 256 else None
        _STYLE_CACHE[ck] = t
    return t


def _cell(ws, value, *, font=None, fill=None, border=True, wrap=True, align="left", key=("plain",)):
    c = WriteOnlyCell(ws)
    if isinstance(value, str) and value:  # form text is cleaned of illegal XML characters by form_rows
        c._value = value[:32767]
        c.data_type = "s"  # never a formula, whatever the first character
    style = _styled(ws, key, font, fill, border, wrap, align)._style
    if is_formula_like(value):
        c._style = copy(style)
        c.quotePrefix = True
    else:
        c._style = style  # shared, never changed afterwards
    return c


def write_form(wb, plan: VisitPlan, county_name: str, year: int, reference_date) -> int:
    """Write 入户核查表; returns the number of pages cut (one per household at least)."""
    ws = wb.create_sheet(FORM_SHEET)
    for c, w in zip(FORM_COLS, FORM_WIDTHS):
        ws.column_dimensions[c].width = w
    set_print_layout(ws, title_rows="1:1", margins_cm=FORM_MARGIN_CM)
    rows = form_rows(plan, county_name, year, reference_date)
    breaks = paginate(rows)
    title = (
        f"入户核查表（{county_name}，{year}年回头看）　逐户打印，入户后在表上打√填写，回村后录入“走访清单”“核查事项”"
    )
    if not _write_form_fast(ws, rows, title):
        _write_form_cells(ws, rows, title)
    ws.row_breaks = ManualRowBreaks([b + 2 for b in breaks])  # rows start at row 2 (row 1 = the repeated title)
    return len(breaks)


class ManualRowBreaks(RowBreak):
    """Manual page breaks after the given sheet rows: openpyxl's ``rowBreaks`` element, built from one text instead
    of one :class:`Break` object per break (a county's form has thousands)."""

    def __init__(self, rows: list[int]):
        super().__init__()
        self.rows = [int(r) for r in rows]

    @property
    def brk(self) -> tuple:
        return tuple(Break(id=r) for r in self.rows)

    @brk.setter
    def brk(self, value) -> None:  # RowBreak.__init__ sets it
        self.rows = [b.id for b in value or ()]

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def to_tree(self, tagname=None, idx=None, namespace=None):
        n = len(self.rows)
        breaks = "".join(f'<brk id="{r}" min="0" max="16383" man="1"/>' for r in self.rows)
        return fromstring(f'<rowBreaks count="{n}" manualBreakCount="{n}">{breaks}</rowBreaks>')


_BOLD = Font(bold=True)
#: cell style of each row kind of the form (font, fill, border, alignment); "gap": a year without measures (red)
FORM_STYLES = {
    "title": dict(font=Font(bold=True, size=13), border=False),
    "info": dict(border=False),
    "section": dict(font=_BOLD, fill=SECTION_FILL),
    "head": dict(font=_BOLD, fill=HEAD_FILL, align="center"),
    "path_head": dict(font=_BOLD, fill=HEAD_FILL, align="center"),
    "item_head": dict(font=_BOLD, fill=HEAD_FILL, align="center"),
    "concl": dict(border=False),
    "gap": dict(font=GAP_FONT),
    "page_title": dict(font=Font(bold=True, size=12), border=False, wrap=False),
}
_GAP_COLS = (2, 7)  # C and H of a path row without measures


def _form_cells(rows: pd.DataFrame):
    """Per form row (sheet row 2 on): kind, whether it is one merged cell, its values and the gap flag."""
    return rows[FORM_COLS].to_numpy(dtype=object), rows["kind"].to_numpy(), _gap_rows(rows)


def _gap_rows(rows: pd.DataFrame) -> np.ndarray:
    """Which form rows are path years without measures (printed red)."""
    return ((rows["kind"] == "path") & (rows["H"] != "") & (rows["H"] != "识别前")).to_numpy()


def _form_column(text: pd.Series) -> pa.Array:
    """A column of :func:`form_rows` (``str``, never missing) as a pyarrow large-string array."""
    return _text_arrow(text).cast(pa.large_string())


def _form_merges(kinds) -> list[str]:
    """The merged ranges of the form's rows (sheet row 2 on), row by row."""
    kinds = np.asarray(kinds, dtype=object)
    r = pc.cast(pa.array(np.arange(2, len(kinds) + 2)), pa.large_string())
    width = max((len(v) for v in MERGES.values()), default=0)
    refs = [pa.nulls(len(kinds), pa.large_string()) for _ in range(width)]  # the k-th merge of each row
    for kind, spans in MERGES.items():
        at = pa.array(kinds == kind)
        for k, (a, b) in enumerate(spans):
            refs[k] = pc.if_else(at, join_texts(FORM_COLS[a - 1], r, ":", FORM_COLS[b - 1], r), refs[k])
    out = np.stack([x.to_numpy(zero_copy_only=False) for x in refs], axis=1).ravel() if width else np.array([])
    return out[out != None].tolist()  # noqa: E711 - elementwise


def _write_form_cells(ws, rows: pd.DataFrame, title: str) -> None:
    """The form through openpyxl's cell API (write-only cells); :func:`_write_form_fast` writes the same XML."""
    ws.row_dimensions[1].height = 24
    for i, h in enumerate(rows["height"].to_numpy(), start=2):
        ws.row_dimensions[i].height = float(h)
    ws.append([_cell(ws, title, key=("page_title",), **FORM_STYLES["page_title"])])
    values, kinds, gap = _form_cells(rows)
    for vals, kind, is_gap in zip(values, kinds, gap):
        st = FORM_STYLES.get(kind, {})
        if kind in BORDERLESS:  # one cell; the merge spans the rest
            ws.append([_cell(ws, vals[0], key=(kind,), **st)])
            continue
        cells = [_cell(ws, v, key=(kind,), **st) for v in vals]
        if is_gap:
            for j in _GAP_COLS:
                cells[j] = _cell(ws, vals[j], key=("gap",), **FORM_STYLES["gap"])
        ws.append(cells)
    ws.merged_cells = MultiCellRange([CellRange(ref) for ref in _form_merges(kinds)])  # .add() is quadratic


def _style_id(ws, kind: str, quote: bool) -> int:
    """The workbook's cell-format index of a form cell (registered through openpyxl's own style table)."""
    st = FORM_STYLES.get(kind, {})
    t = WriteOnlyCell(ws)
    t._style = copy(
        _styled(
            ws,
            (kind,),
            st.get("font"),
            st.get("fill"),
            st.get("border", True),
            st.get("wrap", True),
            st.get("align", "left"),
        )._style
    )
    if quote:
        t.quotePrefix = True
    return t.style_id


def _write_form_fast(ws, rows: pd.DataFrame, title: str) -> bool:
    """Write the form's rows, row heights and merged cells as sheet XML built column-wise in Arrow instead of one
    openpyxl cell object per cell — the same cells, styles (openpyxl's style table), inline strings, heights and
    merges as :func:`_write_form_cells` (tests compare the two), many times faster on a county's ~16,000 rows.

    Uses the write-only worksheet's XML stream (openpyxl 3.1); returns False (nothing written) when that is not
    available or the sheet has parts that must precede the merged cells, so the caller falls back to the cells."""
    if ws.auto_filter.ref or ws.protection.sheet or ws.merged_cells:  # parts that must precede the merges
        return False
    stream = open_xml_stream(ws, len(rows) + 1, len(FORM_COLS))
    if stream is None:
        return False
    kinds = rows["kind"].to_numpy(dtype=object)
    gap = _gap_rows(rows)
    n = len(rows)
    sid = {}

    def style(kind, quote):
        if (kind, quote) not in sid:
            sid[(kind, quote)] = _style_id(ws, kind, quote)
        return sid[(kind, quote)]

    head = (
        f'<row r="1" ht="24" customHeight="1"><c r="A1" s="{style("page_title", is_formula_like(title))}" '
        f't="inlineStr"><is>{xml_text(pd.Series([title]))[0]}</is></c></row>'
    )
    r = pc.cast(pa.array(np.arange(2, n + 2)), pa.large_string())
    one = pa.array(np.isin(kinds, list(BORDERLESS)))
    h_codes, h_values = pd.factorize(rows["height"].to_numpy(float))
    heights = pa.array([repr(float(x)) for x in h_values], pa.large_string()).take(h_codes)
    pieces = ['<row r="', r, '" ht="', heights, '" customHeight="1">']
    kind_codes, kind_names = pd.factorize(kinds)
    kind_names = list(kind_names) + ["gap"]
    gap_codes = np.where(gap, len(kind_names) - 1, kind_codes)
    for j, col in enumerate(FORM_COLS):
        enc = _form_column(rows[col]).dictionary_encode()  # each distinct text once, then taken back to its rows
        v, at = enc.dictionary, enc.indices.to_numpy(zero_copy_only=False)
        if pc.any(pc.greater(pc.utf8_length(v), MAX_CELL_CHARS)).as_py():
            v = pc.utf8_slice_codeunits(v, 0, MAX_CELL_CHARS)
        key = gap_codes if j in _GAP_COLS else kind_codes
        quote = pc.match_substring_regex(v, FORMULA_RE2).to_numpy(zero_copy_only=False)[at]
        pair, uniq = pd.factorize(key * 2 + quote)  # (row kind, quote prefix) in the order of their first rows
        ids = [str(style(kind_names[u // 2], bool(u % 2))) for u in uniq]
        style_of = pa.array(ids, pa.large_string()).take(pair)
        cell = pc.if_else(
            pc.not_equal(v, _EMPTY).take(at),
            join_texts(
                f'<c r="{col}', r, '" s="', style_of, '" t="inlineStr"><is>', xml_text_array(v).take(at), "</is></c>"
            ),
            join_texts(f'<c r="{col}', r, '" s="', style_of, '"/>'),
        )
        if j:  # one merged cell in borderless rows
            cell = pc.if_else(one, pa.nulls(n, pa.large_string()), cell)
        pieces.append(cell)
    pieces.append("</row>")
    with stream.xf.element("sheetData"):
        stream.write(head)
        for lo in range(0, n, ROWS_PER_BLOCK):
            block = [p if isinstance(p, str) else p.slice(lo, ROWS_PER_BLOCK) for p in pieces]
            stream.write(joined_bytes(join_texts(*block, skip_nulls=True)))
    merges = _form_merges(kinds)
    if merges:
        stream.write(
            f'<mergeCells count="{len(merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
            + "</mergeCells>",
        )
    close_xml_stream(ws, n + 1, len(FORM_COLS))
    return True


_EMPTY = pa.scalar("", pa.large_string())


# ------------------------------------------------------------------------------------------------------------
# data sheets and the workbook
# ------------------------------------------------------------------------------------------------------------
def _item_frame(plan: VisitPlan) -> pd.DataFrame:
    it = plan.items.copy()
    info = plan.households.set_index("hh_id")
    for c in ("township", "village", "head_name"):
        it[c] = it["hh_id"].map(info[c]) if len(it) else None
    m = plan.members
    if len(m) and "name" in m:
        names = pd.Series(m["name"].to_numpy(), index=(_t(m["hh_id"]) + "|" + _t(m["person_id"])).to_numpy())
        names = names[~names.index.duplicated()]
        it["person_name"] = (it["hh_id"] + "|" + _t(it["person_id"])).map(names)
    else:
        it["person_name"] = None
    return it


def explanation_rows(
    plan: VisitPlan, *, county_name: str, county_folder: str, year: int, params: dict, provenance: dict | None
) -> pd.DataFrame:
    prov = provenance or {}
    margin = (params.get("visit") or {}).get("income_margin")
    line = params["income"]["exit_line"]
    t = plan.trips
    rows = [
        ("基本信息", "县（市、区）", county_name, county_folder),
        ("基本信息", "核查年度", year, None),
        ("基本信息", "运行时间（UTC）", prov.get("run_time_utc"), None),
        ("基本信息", "参数 SHA-256", prov.get("params_sha256"), prov.get("params_file")),
        ("基本信息", "hgk 版本", prov.get("hgk_version"), None),
        ("主要数字", "需走访户数", t.get("households"), None),
        ("主要数字", "核查事项数", t.get("items"), None),
        ("主要数字", "各部门分别入户的次数", t.get("department_trips"), "每户按涉及的责任部门数计（户数×部门）"),
        ("主要数字", "一次入户的次数", t.get("visits"), "每户一次"),
        ("主要数字", "减少入户次数", t.get("saved"), "避免重复进村入户，减轻基层负担"),
        (
            "走访条件",
            "核查结论",
            "已脱贫户核查结论不是“保持脱贫”或“保持脱贫（兜底）”（含返贫、退回未脱贫、兜底未落实、"
            "收入未达标、保持脱贫（限期整改）、收入待核实）",
            "来源：收入",
        ),
        (
            "走访条件",
            "收入接近脱贫线",
            f"复核人均可支配收入低于脱贫线 {line} 元 × {margin}，即使结论为保持脱贫",
            "参数 visit.income_margin；来源：收入",
        ),
        ("走访条件", "三保障问题", "每个未解决的两不愁三保障问题", "来源：三保障"),
        ("走访条件", "动态管理", "每个动态管理候选（自然减少、自然增加、补录、清退）", "来源：动态管理"),
        ("走访条件", "分类施策", "劳动能力分类与当年措施不匹配（是否匹配＝否）", "来源：分类施策"),
        (
            "走访条件",
            "规则问题",
            "规则目录中 visit: true 的规则发现的问题（只有入户才能核实：收入构成、成员是否在家、上学、住房等）",
            "来源：规则；事项编号即台账问题编号",
        ),
        ("走访条件", "数据真实性", "数据真实性筛查标记的单位所涉及的户（若有）", "来源：数据真实性"),
        ("填写说明", "走访结论", "下拉选择：" + " / ".join(CONCLUSIONS), "走访清单"),
        ("填写说明", "核实结果", "下拉选择：" + " / ".join(RESULTS), "核查事项；不属实须在说明中写明"),
        ("填写说明", "核实人均可支配收入", "入户核实的人均可支配收入（元），读回后替代系统值用于下次核查", "走访清单"),
        ("填写说明", "入户核查表", "每户单独一页（或数页），A4 横向打印；脱贫路径中“无帮扶措施”的年度以红字标出", None),
    ]
    rows += [("工作表说明", s.name, s.description, None) for s in SHEETS]
    rows.append(
        ("工作表说明", FORM_SHEET, "可打印的入户核查表：户基本信息、家庭成员、脱贫路径、全部核查事项及结论栏", None)
    )
    rows += [
        ("数据字典", f"{s.name}：{c.header}", c.meaning, KIND_LABELS.get(c.kind, c.kind))
        for s in SHEETS
        for c in s.all_columns
    ]
    df = pd.DataFrame(rows, columns=["category", "item", "value", "note"]).astype(object)
    return df.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def write_visit_plan(
    path,
    plan: VisitPlan,
    *,
    county_name: str,
    county_folder: str,
    params: dict,
    provenance: dict | None = None,
    reference_date=None,
) -> Path:
    """Write the workbook to ``path`` (atomically; deterministic given the same plan and provenance)."""
    path = Path(path)
    year = int(plan.year or params["year"]["audit_year"])
    ref = reference_date or params["year"]["reference_date"]
    wb = new_workbook(f"入户核查计划_{county_name}_{year}", run_datetime(provenance))
    frames = {"走访清单": plan.households, "核查事项": _item_frame(plan), "按村汇总": plan.villages}
    opts = {
        "走访清单": dict(
            dropdowns={"走访结论": CONCLUSIONS},
            prompt={"走访结论": "请选择：" + " / ".join(CONCLUSIONS)},
            widths={"核查事项": 48, "备注": 20, "走访人": 10, "走访日期": 12},
        ),
        "核查事项": dict(
            dropdowns={"核实结果": RESULTS},
            prompt={"核实结果": "请选择：" + " / ".join(RESULTS)},
            widths={"内容": 60, "说明": 30},
        ),
        "按村汇总": {},
    }
    for spec in SHEETS:
        df, kinds = frame_for(spec, frames[spec.name])
        write_table(wb, spec.name, df, kinds, **opts[spec.name])
    write_form(wb, plan, county_name, year, ref)
    df, kinds = frame_for(
        EXPLAIN,
        explanation_rows(
            plan, county_name=county_name, county_folder=county_folder, year=year, params=params, provenance=provenance
        ),
    )
    write_table(wb, "说明", df, kinds, widths={"内容": 60, "备注": 40})
    save_workbook(wb, path)
    return path
