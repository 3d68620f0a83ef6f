"""Tiny hand-written export files for the loader tests and the malformed corpus (no dependency on hgk demo).

``county_tables()`` gives a small valid county (header + rows per table, as the export spells them);
``write_table`` writes one table as xlsx (openpyxl) or csv (chosen encoding), with optional title rows;
``write_county`` writes a whole county folder.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl

HH = "贫困户信息"
MEMBER = "贫困人口信息"
INCOME = "收入信息"
MEASURE = "帮扶措施"
PROJECT = "项目库"

ID1 = "441881195501011214"  # valid-looking 18-digit IDs (checksums are the rules' business, not the loader's)
ID2 = "44188119570202122X"
ID3 = "441881198003031236"
ID4 = "441881201009091248"
ID5 = "441881196004041257"
ID6 = "441881198805051265"


def county_tables() -> dict[str, list[list]]:
    """A valid county: 3 households, 6 members. Lists of rows, first row = header."""
    return copy.deepcopy(
        {
            HH: [
                [
                    "户编号",
                    "县（市、区）",
                    "乡（镇）",
                    "行政村",
                    "户主姓名",
                    "户主证件号码",
                    "家庭人口数",
                    "贫困户属性",
                    "主要致贫原因",
                    "首次识别年度",
                    "脱贫状态",
                    "脱贫年度",
                    "是否危房户",
                    "最近走访日期",
                    "耕地面积（亩）",
                ],
                [
                    "4418810001",
                    "英德市",
                    "英城街道",
                    "城南村",
                    "张一",
                    ID1,
                    2,
                    "一般脱贫户",
                    "因病",
                    2016,
                    "已脱贫（享受政策）",
                    2018,
                    "否",
                    "2019-09-01",
                    1.5,
                ],
                [
                    "4418810002",
                    "英德市",
                    "英城街道",
                    "城南村",
                    "李二",
                    ID3,
                    2,
                    "低保贫困户",
                    "因残",
                    2016,
                    "未脱贫",
                    None,
                    "是",
                    "2019/9/2",
                    2,
                ],
                [
                    "4418810003",
                    "英德市",
                    "大站镇",
                    "大站村",
                    "王三",
                    ID5,
                    2,
                    "一般脱贫户",
                    "缺技术",
                    2017,
                    "已脱贫（享受政策）",
                    2019,
                    "否",
                    "20190903",
                    None,
                ],
            ],
            MEMBER: [
                [
                    "户编号",
                    "人编号",
                    "姓名",
                    "证件号码",
                    "性别",
                    "出生日期",
                    "与户主关系",
                    "健康状况",
                    "劳动技能",
                    "人员状态",
                    "务工时间（月）",
                    "是否参加城乡居民基本医疗保险",
                ],
                ["4418810001", "P01", "张一", ID1, "男", "1955-01-01", "户主", "健康", "普通劳动力", "正常", 6, "是"],
                [
                    "4418810001",
                    "P02",
                    "张妻",
                    ID2,
                    "女",
                    "1957-02-02",
                    "配偶",
                    "长期慢性病",
                    "弱劳动力或半劳动力",
                    "正常",
                    0,
                    "是",
                ],
                ["4418810002", "P03", "李二", ID3, "男", "1980-03-03", "户主", "残疾", "丧失劳动力", "正常", 0, "是"],
                ["4418810002", "P04", "李子", ID4, "男", "2010-09-09", "之子", "健康", "无劳动力", "正常", 0, "是"],
                ["4418810003", "P05", "王三", ID5, "男", "1960-04-04", "户主", "健康", "普通劳动力", "正常", 10, "是"],
                ["4418810003", "P06", "王妻", ID6, "女", "1988-05-05", "配偶", "健康", "普通劳动力", "正常", 8, "是"],
            ],
            INCOME: [
                ["户编号", "年度", "工资性收入", "生产经营性收入", "生产经营性支出", "财产性收入", "转移性收入"],
                ["4418810001", 2019, 12000, 3000, 500, 0, 2400],
                ["4418810002", 2019, 0, 1000, 200, 0, 9600],
                ["4418810003", 2019, 30000, 0, 0, 300, 600],
            ],
            MEASURE: [
                ["户编号", "年度", "措施类别", "投入金额（元）", "开始日期"],
                ["4418810001", 2019, "产业帮扶", 2000, "2019-03-01"],
                ["4418810003", 2019, "就业帮扶", 500, "2019-04-01"],
            ],
            PROJECT: [
                ["项目编号", "项目名称", "项目类别", "是否到户到人项目", "年度"],
                ["XM2019001", "种养产业奖补", "产业发展", "是", 2019],
            ],
        }
    )


def write_xlsx(
    path: Path,
    rows: list[list],
    *,
    title: list[list] | None = None,
    sheet: str = "Sheet1",
    extra_sheets: dict | None = None,
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in title or []:
        ws.append(r)
    for r in rows:
        ws.append(r)
        for cell in ws[ws.max_row]:  # an exported '="..."' wrapper is text, not a formula
            if isinstance(cell.value, str) and cell.value.startswith('="'):
                cell.data_type = "s"
    for name, srows in (extra_sheets or {}).items():
        w2 = wb.create_sheet(name)
        for r in srows:
            w2.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def csv_bytes(
    rows: list[list], encoding: str = "utf-8-sig", *, title: list[list] | None = None, delimiter: str = ","
) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for r in (title or []) + rows:
        w.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in r])
    return buf.getvalue().encode(encoding)


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig", **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows, encoding, **kw))
    return path


def write_table(folder: Path, base: str, rows: list[list], fmt: str = "xlsx", **kw) -> Path:
    path = folder / f"{base}.{fmt}"
    if fmt == "xlsx":
        return write_xlsx(path, rows, **kw)
    return write_csv(path, rows, **kw)


def write_county(
    root: Path,
    folder: str = "441881_英德市",
    tables: dict | None = None,
    *,
    fmt: str | dict = "csv",
    skip: tuple = (),
    title: bool = True,
) -> Path:
    """Write a county folder; ``tables`` overrides county_tables(); ``fmt`` per table or for all."""
    d = Path(root) / folder
    d.mkdir(parents=True, exist_ok=True)
    all_tables = county_tables()
    all_tables.update(tables or {})
    for base, rows in all_tables.items():
        if base in skip:
            continue
        f = fmt.get(base, "csv") if isinstance(fmt, dict) else fmt
        t = [[f"清远市英德市{base.split('/')[-1]}"], ["导出时间：2019-12-01"]] if title else None
        write_table(d, base, rows, f, title=t)
    return d
