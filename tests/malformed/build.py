"""Issue 7: a corpus of malformed exports, one county folder per case.

``build(root)`` writes ``root/<441881_case>/`` folders (a small valid county with exactly one thing broken) and
returns the cases. Each case says what ``hgk load`` must do with it:

* ``Case.error``: the county fails with a Chinese message containing every listed fragment (file, sheet, row,
  column where they apply);
* ``Case.quarantine``: the county loads and exactly these ``(table, row)`` pairs are quarantined
  (the ledger must balance); ``Case.check`` optionally inspects the loaded tables.

Run standalone: ``python tests/malformed/build.py OUTDIR``.
"""

from __future__ import annotations

import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from malformed.fixtures import (
        HH,
        INCOME,
        MEMBER,
        PROJECT,
        county_tables,
        csv_bytes,
        write_county,
        write_csv,
        write_xlsx,
    )
else:
    from .fixtures import HH, INCOME, MEMBER, PROJECT, county_tables, csv_bytes, write_county, write_csv, write_xlsx

CODE = "441881"
# default formats of a corpus county: the table under test is rewritten by the case
FORMATS = {HH: "xlsx", MEMBER: "xlsx", INCOME: "csv", "帮扶措施": "csv", PROJECT: "csv"}
TITLE = [["清远市英德市贫困人口信息"], ["导出时间：2019-12-01"]]  # member data rows start at spreadsheet row 4


@dataclass
class Case:
    name: str
    make: Callable[[Path], None]
    error: list[str] | None = None
    quarantine: set = field(default_factory=set)  # {(table, row)}
    check: Callable | None = None  # check(CountyData) -> None (asserts)
    warning: str | None = None
    folder: str = ""


def _base(folder: Path, skip=(), tables=None) -> Path:
    """A valid county in ``folder`` (its name is the county folder name)."""
    return write_county(folder.parent, folder.name, tables=tables, fmt=FORMATS, skip=skip)


def _member(folder: Path, rows=None, fmt="xlsx", **kw):
    for ext in ("xlsx", "csv"):
        (folder / f"{MEMBER}.{ext}").unlink(missing_ok=True)
    rows = rows if rows is not None else county_tables()[MEMBER]
    path = folder / f"{MEMBER}.{fmt}"
    if fmt == "xlsx":
        write_xlsx(path, rows, title=kw.pop("title", TITLE), **kw)
    else:
        write_csv(path, rows, title=kw.pop("title", TITLE), **kw)
    return path


def _rewrite_zip(path: Path, replace: dict, add: dict | None = None) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename in replace:
                data = replace[item.filename](data)
            dst.writestr(item, data)
        for k, v in (add or {}).items():
            dst.writestr(k, v)
    tmp.replace(path)


def _drop_columns(rows, names):
    keep = [i for i, h in enumerate(rows[0]) if h not in names]
    return [[r[i] for i in keep] for r in rows]


# -- case makers --------------------------------------------------------------------------------------------------
def empty_csv(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.csv").write_bytes(b"")


def empty_xlsx(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.xlsx").write_bytes(b"")


def header_only(f):
    _base(f)
    _member(f, county_tables()[MEMBER][:1])


def no_data_sheet(f):
    _base(f)
    _member(f, [["说明：本工作簿没有数据"]], title=[], sheet="说明")


def wrong_sheet_name(f):
    _base(f)
    _member(f, sheet="数据导出20191201", extra_sheets={"空白": []})


def missing_column(f):
    _base(f)
    _member(f, _drop_columns(county_tables()[MEMBER], {"性别"}), sheet="人口")


def missing_columns(f):
    _base(f)
    _member(f, _drop_columns(county_tables()[MEMBER], {"姓名", "健康状况", "人员状态"}), fmt="csv")


def duplicated_column(f):
    _base(f)
    _member(f, [r + [r[2]] for r in county_tables()[MEMBER]])


def utf16_csv(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.csv").write_bytes(csv_bytes(county_tables()[MEMBER], "utf-16"))


def big5_csv(f):
    _base(f, skip=(MEMBER,))
    text = (
        "戶編號,人編號,姓名,證件號碼,性別,與戶主關係,健康狀況,勞動技能,人員狀態\r\n"
        "4418810001,P01,張壹,441881195501011214,男,戶主,健康,普通勞動力,正常\r\n"
    )
    (f / f"{MEMBER}.csv").write_bytes(text.encode("big5"))


def binary_csv(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.csv").write_bytes(bytes(range(128, 256)) * 20)


def nul_csv(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.csv").write_bytes(csv_bytes(county_tables()[MEMBER]) + b"\x00\x00")


def replacement_char_csv(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows[3][2] = "李\ufffd"
    _member(f, rows, fmt="csv", encoding="utf-8")


def truncated_xlsx(f):
    _base(f)
    p = _member(f)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) * 2 // 3])


def html_as_xlsx(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.xlsx").write_text(
        '<html><head><meta charset="utf-8"></head><body><table><tr><td>户编号</td><td>证件号码</td></tr>'
        "</table></body></html>",
        encoding="utf-8",
    )


def csv_as_xlsx(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.xlsx").write_bytes(csv_bytes(county_tables()[MEMBER], "gbk"))


def old_xls(f):
    _base(f, skip=(MEMBER,))
    (f / f"{MEMBER}.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)


def missing_table(f):
    _base(f, skip=(PROJECT,))


def text_in_amount(f):
    tables = county_tables()
    tables[INCOME][2][2] = "三千元"  # income data row 2 -> CSV line 2 + title 2 + header 1 = line 5
    _base(f, tables=tables)


def text_in_year(f):
    tables = county_tables()
    tables[INCOME][3][1] = "二〇一九"
    _base(f, tables=tables)


def year_9999(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows[1][5] = "9999-12-31"
    _member(f, rows)


def negative_household_size(f):
    tables = county_tables()
    tables[HH][2][6] = -3
    _base(f, tables=tables)


def long_text_cell(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows[2][2] = "长" * 10_000
    _member(f, rows)


def long_amount_cell(f):
    tables = county_tables()
    tables[INCOME][1][3] = "9" * 5000 + "元" * 5000
    _base(f, tables=tables)


def blank_row(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows.insert(3, [None] * len(rows[0]))  # data rows 1-2, blank, 3-6 -> blank is spreadsheet row 6
    _member(f, rows)


def ids_as_floats(f):
    _base(f)
    rows = county_tables()[MEMBER]
    for r in rows[1:]:
        r[3] = int(r[3].replace("X", "0"))  # Excel kept 15 digits: every row lost its last digits
    _member(f, rows)


def sci_ids_csv(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows[6][3] = "4.41881E+17"
    _member(f, rows, fmt="csv", encoding="gbk")


def head_id_float(f):
    tables = county_tables()
    tables[HH][3][5] = 441881196004041257
    _base(f, tables=tables)


def formula_cell(f):
    """A wage computed by a formula whose cached result (3000) Excel stored: the cached value is read."""
    _base(f, skip=(INCOME,))
    rows = county_tables()[INCOME]
    rows[1][2] = "=1000+2000"
    p = write_xlsx(f / f"{INCOME}.xlsx", rows, title=[["收入信息"]])
    _rewrite_zip(
        p,
        {
            "xl/worksheets/sheet1.xml": lambda d: d.replace(b"<v></v>", b"<v>3000</v>").replace(
                b"<f>1000+2000</f></c>", b"<f>1000+2000</f><v>3000</v></c>"
            )
        },
    )


def merged_header(f):
    """户编号..证件号码 merged over two header rows; 务工 group header over two sub-columns."""
    _base(f)
    import openpyxl

    head = county_tables()[MEMBER][0]
    rows = county_tables()[MEMBER][1:]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["清远市英德市贫困人口信息"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    top = [h if h not in ("务工时间（月）", "是否参加城乡居民基本医疗保险") else None for h in head]
    wi = head.index("务工时间（月）")
    top[wi] = "务工与参保"
    ws.append(top)
    ws.append([None if h not in ("务工时间（月）", "是否参加城乡居民基本医疗保险") else h for h in head])
    for i, h in enumerate(head, start=1):
        if h not in ("务工时间（月）", "是否参加城乡居民基本医疗保险"):
            ws.merge_cells(start_row=2, start_column=i, end_row=3, end_column=i)
    ws.merge_cells(start_row=2, start_column=wi + 1, end_row=2, end_column=wi + 2)
    for r in rows:
        ws.append(r)
    (f / f"{MEMBER}.xlsx").unlink()
    wb.save(f / f"{MEMBER}.xlsx")


def folder_mismatch(f):
    _base(f)  # data says 英德市, the folder says 连州市


def million_empty_rows(f):
    """Member sheet formatted down to row 1,000,000 (empty styled rows), written as XML directly."""
    _base(f)
    p = _member(f)

    def patch(xml: bytes) -> bytes:
        end = xml.index(b"</sheetData>")
        rows = b"".join(
            b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/><c r="L%d" s="1"/></row>' % (r, r, r)
            for r in range(10, 1_000_001)
        )
        return xml[:end] + rows + xml[end:]

    _rewrite_zip(p, {"xl/worksheets/sheet1.xml": patch})


def zip_bomb(f):
    _base(f)
    p = _member(f)
    _rewrite_zip(p, {}, {"xl/media/image1.xml": b"\0" * (24 << 20)})


def xml_bomb(f):
    _base(f)
    p = _member(f)
    lol = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b"]>\n"
    )
    _rewrite_zip(p, {"xl/worksheets/sheet1.xml": lambda d: lol + d[d.index(b"<worksheet") :]})


def far_cell(f):
    _base(f)
    p = _member(f)
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    _rewrite_zip(p, {"xl/worksheets/sheet1.xml": lambda d: d.replace(b"</sheetData>", far)})


def header_too_low(f):
    _base(f)
    _member(f, title=[["标题"]] * 12)


def huge_csv_field(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows[1][2] = "x" * 200_000
    _member(f, rows, fmt="csv")


def quoted_newline_csv(f):
    tables = county_tables()
    tables[INCOME][1][0] = "4418810001"
    _base(f, tables=tables)
    rows = county_tables()[MEMBER]
    rows[1][2] = "张\n一"  # record spans lines 4-5
    rows[2][6] = "姊妹"  # unknown relation: NA + raw, not quarantined
    rows[3][3] = "ABC"  # not an amount problem: IDs are text
    rows[4][10] = "半年"  # work months not a number: quarantined, on line 8
    _member(f, rows, fmt="csv")


def unknown_codes(f):
    _base(f)
    rows = county_tables()[MEMBER]
    rows[1][6], rows[2][7], rows[3][4] = "表兄", "骨折", "未知"
    _member(f, rows)


def ragged_csv(f):
    _base(f, skip=(MEMBER,))
    rows = county_tables()[MEMBER]
    rows[2] = rows[2][:5]  # short record: missing cells are blank (required values blank: rules' business)
    rows[3] = rows[3] + ["多余1", "多余2"]
    (f / f"{MEMBER}.csv").write_bytes(csv_bytes(rows, "utf-8", title=TITLE))


# -- checks for loaded cases --------------------------------------------------------------------------------------
def _check_9999(d):
    m = d.tables["member"]
    assert m["birth_date"].isna().iloc[0] and m["birth_date__raw"].iloc[0] == "9999-12-31"


def _check_neg(d):
    assert d.tables["household"]["hh_size"].tolist() == [2, -3, 2]


def _check_long(d):
    assert d.tables["member"]["name"].iloc[1] == "长" * 10_000


def _check_header_only(d):
    assert len(d.tables["member"]) == 0 and list(d.ledger.set_index("table").loc["member"])[1:] == [0, 0, 0]


def _check_formula(d):
    assert d.tables["income"]["wage"].tolist() == [3000.0, 0.0, 30000.0]


def _check_merged(d):
    m = d.tables["member"]
    assert len(m) == 6 and m["work_months"].tolist() == [6, 0, 0, 0, 10, 8]
    assert m["ins_resident"].all() and m["_row"].tolist() == [4, 5, 6, 7, 8, 9]


def _check_million(d):
    assert len(d.tables["member"]) == 6 and d.ledger.set_index("table").loc["member", "rows_read"] == 6


def _check_unknown(d):
    m = d.tables["member"]
    assert m["relation__raw"].iloc[0] == "表兄" and m["health__raw"].iloc[1] == "骨折"
    assert m["sex"].isna().iloc[2] and m["sex__raw"].iloc[2] == "未知"


def _check_newline(d):
    m = d.tables["member"]
    assert m["name"].iloc[0] == "张\n一" and m["_row"].tolist()[:3] == [4, 6, 7]
    assert m["relation__raw"].iloc[1] == "姊妹"


def _check_ragged(d):
    m = d.tables["member"]
    assert len(m) == 6 and m["name"].iloc[1] == "张妻" and m["health"].isna().iloc[1]


def _check_wrong_sheet(d):
    assert d.files.set_index("table").loc["member", "sheet"] == "数据导出20191201"


MF = f"{MEMBER}"
CASES: list[Case] = [
    Case("空CSV文件", empty_csv, error=["文件为空", f"{MF}.csv"]),
    Case("空xlsx文件", empty_xlsx, error=["文件为空", f"{MF}.xlsx"]),
    Case("只有表头", header_only, check=_check_header_only),
    Case("无数据工作表", no_data_sheet, error=["没有找到表头行", "说明", f"{MF}.xlsx"]),
    Case("工作表名不同", wrong_sheet_name, check=_check_wrong_sheet),
    Case("缺少必需列", missing_column, error=["缺少必需列（共1列）：性别", f"{MF}.xlsx", "工作表：人口", "行：3"]),
    Case("缺少多个必需列", missing_columns, error=["姓名", "健康状况", "人员状态", f"{MF}.csv", "行：3"]),
    Case("重复列", duplicated_column, error=["表头有重复列", "姓名", "C、M列", f"{MF}.xlsx", "工作表：Sheet1"]),
    Case("UTF16编码CSV", utf16_csv, error=["UTF-16", f"{MF}.csv"]),
    Case("BIG5编码CSV", big5_csv, error=["没有找到表头行", "编码", f"{MF}.csv"]),
    Case("二进制CSV", binary_csv, error=["编码无法识别", f"{MF}.csv"]),
    Case("含空字符CSV", nul_csv, error=["空字符", f"{MF}.csv"]),
    Case("含替换字符CSV", replacement_char_csv, error=["替换字符", "第6行", f"{MF}.csv"]),
    Case("截断的xlsx", truncated_xlsx, error=["损坏或不完整", f"{MF}.xlsx"]),
    Case("HTML冒充xlsx", html_as_xlsx, error=["文件不是有效的xlsx", "HTML", f"{MF}.xlsx"]),
    Case("CSV冒充xlsx", csv_as_xlsx, error=["文件不是有效的xlsx", "CSV", f"{MF}.xlsx"]),
    Case("旧版xls", old_xls, error=["另存为", f"{MF}.xls"]),
    Case("缺少必需表", missing_table, error=["缺少必需的数据表", "项目库.xlsx"]),
    Case("金额列为文字", text_in_amount, quarantine={("income", 5)}),
    Case("年度为文字", text_in_year, quarantine={("income", 6)}),
    Case("日期9999年", year_9999, check=_check_9999),
    Case("家庭人口数为负", negative_household_size, check=_check_neg),
    Case("一万字单元格", long_text_cell, check=_check_long),
    Case("超长金额文字", long_amount_cell, quarantine={("income", 4)}),
    Case("空行", blank_row, quarantine={("member", 6)}),
    Case("证件号码存为数字", ids_as_floats, quarantine={("member", r) for r in range(4, 10)}),
    Case("科学计数法证件号", sci_ids_csv, quarantine={("member", 9)}),
    Case("户主证件号存为数字", head_id_float, quarantine={("household", 6)}),
    Case("公式单元格", formula_cell, check=_check_formula),
    Case("合并表头", merged_header, check=_check_merged),
    Case("目录与内容不符", folder_mismatch, warning="不一致"),
    Case("一百万空格式行", million_empty_rows, check=_check_million),
    Case("压缩炸弹", zip_bomb, error=["压缩比异常", "疑似压缩炸弹", f"{MF}.xlsx"]),
    Case("XML实体炸弹", xml_bomb, error=["DOCTYPE", "已拒绝读取", f"{MF}.xlsx"]),
    Case("远处单元格", far_cell, error=["数据区域过大", "工作表：Sheet1", f"{MF}.xlsx"]),
    Case("表头过低", header_too_low, error=["没有找到表头行", f"{MF}.xlsx"]),
    Case("CSV超长字段", huge_csv_field, error=["CSV格式错误", "行：", f"{MF}.csv"]),
    Case("CSV字段内换行", quoted_newline_csv, quarantine={("member", 8)}, check=_check_newline),
    Case("无法识别的代码", unknown_codes, check=_check_unknown),
    Case("CSV行长度不一", ragged_csv, check=_check_ragged),
]


def build(root) -> list[Case]:
    """Write every case under ``root``; returns the cases with ``folder`` set."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for i, case in enumerate(CASES, start=1):
        code = "441882" if case.make is folder_mismatch else CODE
        name = "连州市" if case.make is folder_mismatch else f"c{i:02d}{case.name}"
        case.folder = f"{code}_{name}"
        d = root / case.folder
        d.mkdir(parents=True, exist_ok=True)
        case.make(d)
    return CASES


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "malformed_corpus")
    for c in build(out):
        print(c.folder, "错误" if c.error else "载入")
