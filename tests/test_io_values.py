"""Loader: every accepted variant of a real export becomes the canonical value (export_format.md)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hgk_lib import schema as S
from hgk_lib.io import load_county
from hgk_lib.io.loader import load_table
from malformed.fixtures import HH, ID1, ID2, INCOME, MEMBER, county_tables, write_county, write_csv, write_xlsx

MEMBER_HEAD = county_tables()[MEMBER][0]


def member_rows(*rows, extra_cols=()):
    """Member table rows: each row a dict of header -> value over a valid default person."""
    head = MEMBER_HEAD + list(extra_cols)
    base = dict(zip(MEMBER_HEAD, county_tables()[MEMBER][1]))
    out = [head]
    for r in rows:
        d = {**base, **r}
        out.append([d.get(h) for h in head])
    return out


def load(tmp_path, table, rows, fmt="xlsx", **kw):
    """Load one table file; returns (TableResult, files info)."""
    base = S.TABLES[table].file
    path = tmp_path / f"{base}.{fmt}"
    (write_xlsx if fmt == "xlsx" else write_csv)(path, rows, **kw)
    return load_table(path, S.TABLES[table], path.name)


# -- title rows, header spellings, row numbers -----------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("n_title", [0, 1, 5])
def test_title_rows_and_row_numbers(tmp_path, fmt, n_title):
    title = [["清远市英德市贫困人口信息"], ["导出时间：2019-12-01"], [], ["单位：人"], ["备注"]][:n_title]
    rows = member_rows({"姓名": "甲"}, {"姓名": "乙"})
    res, info = load(tmp_path, "member", rows, fmt, title=title)
    t = res.table
    assert list(t["name"]) == ["甲", "乙"]
    # header on spreadsheet row n_title+1, data from the next row (as Excel/the CSV line number shows)
    assert list(t[S.ROW_COL]) == [n_title + 2, n_title + 3]
    assert info["format"] == fmt


def test_header_spelling_variants(tmp_path):
    rows = member_rows({"姓名": "甲", "务工时间（月）": 7})
    rows[0] = [
        {
            "务工时间（月）": "务工时间(月)",
            "姓名": " 姓 名 ",
            "健康状况": "健康\n状况",
            "是否参加城乡居民基本医疗保险": "是否参加城乡居民\r\n基本医疗保险",
        }.get(h, h)
        for h in rows[0]
    ]
    res, _ = load(tmp_path, "member", rows, "xlsx")
    t = res.table
    assert t.loc[0, "name"] == "甲" and t.loc[0, "work_months"] == 7.0
    assert t.loc[0, "health"] == "健康" and bool(t.loc[0, "ins_resident"]) is True


def test_unknown_columns_ignored_with_warning(tmp_path):
    rows = member_rows({"姓名": "甲"}, extra_cols=["备注说明"])
    rows[1][-1] = "随便写的"
    res, _ = load(tmp_path, "member", rows, "csv")
    assert "备注说明" not in res.table.columns and not any("备注" in c for c in res.table.columns)
    assert any("备注说明" in w for w in res.warnings)
    assert "education" in res.missing_optional and "health" not in res.missing_optional


def test_csv_line_numbers_count_embedded_line_breaks(tmp_path):
    rows = member_rows({"姓名": "甲\n乙"}, {"姓名": "丙"})
    res, _ = load(tmp_path, "member", rows, "csv")
    assert list(res.table["name"]) == ["甲\n乙", "丙"]
    assert list(res.table[S.ROW_COL]) == [2, 4]  # the first record spans lines 2-3


# -- encodings ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "encoding,label", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")]
)
def test_csv_encodings(tmp_path, encoding, label):
    rows = member_rows({"姓名": "欧阳娜娜", "与户主关系": "之外孙女"})
    res, info = load(tmp_path, "member", rows, "csv", encoding=encoding)
    assert res.table.loc[0, "name"] == "欧阳娜娜" and res.table.loc[0, "relation"] == "之外孙女"
    assert info["encoding"] == label


def test_tab_separated_csv(tmp_path):
    res, _ = load(tmp_path, "member", member_rows({"姓名": "甲"}), "csv", delimiter="\t")
    assert res.table.loc[0, "name"] == "甲"


# -- IDs ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_id_variants(tmp_path, fmt):
    rows = member_rows(
        {"证件号码": ID1},  # text
        {"证件号码": "'" + ID1},  # leading apostrophe
        {"证件号码": f'="{ID1}"'},  # ="..." wrapper
        {"证件号码": "44188119570202122x"},  # lower-case x
        {"证件号码": "４４１８８１１９５５０１０１１２１４"},  # full-width digits
        {"证件号码": 441881550101121},  # old 15-digit ID stored as a number: exact
        {"证件号码": " 441881195501011214 "},  # spaces
    )
    res, _ = load(tmp_path, "member", rows, fmt)
    assert list(res.table["id_no"]) == [ID1, ID1, ID1, ID2, ID1, "441881550101121", ID1]
    assert res.rows_quarantined == 0


def test_precision_lost_id_quarantined_not_repaired(tmp_path):
    rows = member_rows(
        {"姓名": "甲"},
        {"姓名": "乙", "证件号码": 441881195501011214},
        {"姓名": "丙"},
        {"姓名": "丁", "证件号码": "4.41881E+17", "户编号": "4418810009"},
    )
    res, _ = load(tmp_path, "member", rows, "xlsx")
    assert list(res.table["name"]) == ["甲", "丙"]
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (4, 2, 2)
    q = res.quarantine
    assert list(q["row"]) == [3, 5] and set(q["column"]) == {"证件号码"}
    assert "证件号码在Excel中存为数字，已丢失末位数字，无法恢复" in q.loc[0, "reason"]
    assert "科学计数法" in q.loc[1, "reason"] and q.loc[1, "value"] == "4.41881E+17"
    assert q.loc[0, "value"].startswith("4.4188119")
    assert res.quarantined_hh == {"4418810001", "4418810009"}


def test_household_numeric_ids_become_strings(tmp_path):
    rows = [r[:] for r in county_tables()[HH]]
    rows[1][0] = 4418810001  # 户编号 typed as a number
    rows[1][5] = 441881550101121  # 15-digit head ID as a number
    res, _ = load(tmp_path, "household", rows, "xlsx")
    assert res.table.loc[0, "hh_id"] == "4418810001" and res.table.loc[0, "head_id"] == "441881550101121"


# -- dates --------------------------------------------------------------------------------------------------------
def test_date_variants(tmp_path):
    values = [
        43709,
        "43709",
        dt.datetime(2019, 9, 1),
        dt.date(2019, 9, 1),
        "2019-09-01",
        "2019/9/1",
        "20190901",
        "2019年9月1日",
        "2019.09.01",
        "2019-09-01 00:00:00",
        20190901,
    ]
    rows = member_rows(*({"出生日期": v} for v in values))
    res, _ = load(tmp_path, "member", rows, "xlsx")
    t = res.table
    assert (t["birth_date"] == pd.Timestamp("2019-09-01")).all(), t["birth_date"].tolist()
    assert t["birth_date"].dtype == "datetime64[ns]" and t["birth_date__raw"].isna().all()


def test_bad_dates_become_nat_with_raw(tmp_path):
    values = ["2019-02-30", dt.datetime(9999, 12, 31), "1899-12-31", "明年", "2019", 2019, "2101-01-01", ""]
    rows = member_rows(*({"出生日期": v} for v in values))
    res, _ = load(tmp_path, "member", rows, "xlsx")
    t = res.table
    assert t["birth_date"].isna().all() and res.rows_quarantined == 0
    assert list(t["birth_date__raw"]) == [
        "2019-02-30",
        "9999-12-31",
        "1899-12-31",
        "明年",
        "2019",
        "2019",
        "2101-01-01",
        None,
    ]


def test_excel_serial_edges(tmp_path):
    rows = member_rows({"出生日期": 1}, {"出生日期": 61}, {"出生日期": 73415}, {"出生日期": 73416}, {"出生日期": 60})
    res, _ = load(tmp_path, "member", rows, "xlsx")
    got = res.table["birth_date"].tolist()
    assert got[0] == pd.Timestamp("1900-01-01") and got[1] == pd.Timestamp("1900-03-01")
    assert got[2] == pd.Timestamp("2100-12-31") and pd.isna(got[3]) and pd.isna(got[4])


# -- yes/no, blank-likes, codes, multi ---------------------------------------------------------------------------
def test_yes_no_variants(tmp_path):
    key = "是否参加城乡居民基本医疗保险"
    values = ["是", "否", "1", "0", "Y", "n", "√", "×", None, "无", "/", "NULL", "也许", True, False, 1, 0]
    rows = member_rows(*({key: v} for v in values))
    res, _ = load(tmp_path, "member", rows, "xlsx")
    t = res.table
    assert t["ins_resident"].dtype == "boolean"
    assert t["ins_resident"].tolist() == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        pd.NA,
        pd.NA,
        pd.NA,
        pd.NA,
        pd.NA,
        True,
        False,
        True,
        False,
    ]
    assert t["ins_resident__raw"].tolist()[12] == "也许" and t["ins_resident__raw"].isna().sum() == 16


def test_blank_likes_in_text(tmp_path):
    rows = [r[:] for r in county_tables()[HH]]
    rows[0].append("自然村")
    for r, v in zip(rows[1:], ["无", "NULL", "—"]):
        r.append(v)
    res, _ = load(tmp_path, "household", rows, "csv")
    assert res.table["hamlet"].isna().all()


def test_codes_labels_and_national_codes(tmp_path):
    rows = member_rows(
        {"劳动技能": "普通劳动力", "性别": "1"},
        {"劳动技能": "1", "性别": "2"},
        {"劳动技能": "01", "性别": 2},
        {"劳动技能": 5, "性别": " 女 "},
        {"劳动技能": "超人", "性别": "男"},
    )
    res, _ = load(tmp_path, "member", rows, "xlsx")
    t = res.table
    assert t["labour_skill"].tolist()[:4] == ["普通劳动力", "普通劳动力", "普通劳动力", "无劳动力"]
    assert t["sex"].tolist() == ["男", "女", "女", "女", "男"]
    assert pd.isna(t.loc[4, "labour_skill"]) and t.loc[4, "labour_skill__raw"] == "超人"
    assert t["labour_skill__raw"].iloc[:4].isna().all()


def test_exit_status_codes(tmp_path):
    rows = [r[:] for r in county_tables()[HH]]
    rows[1][10], rows[2][10], rows[3][10] = "4", "已脱贫(享受政策)", "0"
    res, _ = load(tmp_path, "household", rows, "csv")
    assert res.table["exit_status"].tolist() == [S.EXIT_NO_POLICY, S.EXIT_ENJOY, S.EXIT_NOT]


def test_multi_valued_health(tmp_path):
    rows = member_rows(
        {"健康状况": "残疾,长期慢性病"},
        {"健康状况": "残疾、长期慢性病"},
        {"健康状况": "长期慢性病；残疾"},
        {"健康状况": "残疾，骨折"},
        {"健康状况": "骨折"},
        {"健康状况": "4"},
    )
    res, _ = load(tmp_path, "member", rows, "csv")
    t = res.table
    assert t["health"].tolist()[:3] == ["长期慢性病,残疾"] * 3
    assert t.loc[3, "health"] == "残疾" and t.loc[3, "health__raw"] == "残疾，骨折"
    assert pd.isna(t.loc[4, "health"]) and t.loc[4, "health__raw"] == "骨折"
    assert t.loc[5, "health"] == "残疾"


# -- numbers ------------------------------------------------------------------------------------------------------
def income_rows(*wages):
    head = county_tables()[INCOME][0]
    return [head] + [["4418810001", 2019, w, 0, 0, 0, 0] for w in wages]


def test_number_variants(tmp_path):
    res, _ = load(
        tmp_path, "income", income_rows("12,345.6", "１２３", "500元", " 3 ", "-200", "1.5e3", "", "—", "12 000"), "csv"
    )
    t = res.table
    assert t["wage"].tolist()[:6] == [12345.6, 123.0, 500.0, 3.0, -200.0, 1500.0]
    assert np.isnan(t["wage"].iloc[6]) and np.isnan(t["wage"].iloc[7]) and t["wage"].iloc[8] == 12000.0
    assert res.rows_quarantined == 0 and t["wage"].dtype == "float64" and t["year"].dtype == "Int64"


def test_text_in_amount_column_quarantines_row(tmp_path):
    res, _ = load(tmp_path, "income", income_rows("1000", "三千元", "1,5", "2000"), "xlsx")
    assert res.table["wage"].tolist() == [1000.0, 2000.0]
    q = res.quarantine
    assert list(q["row"]) == [3, 4] and list(q["value"]) == ["三千元", "1,5"]
    assert all(r.startswith("工资性收入不是数字") for r in q["reason"])


def test_int_column_rejects_fractions_and_text(tmp_path):
    rows = [r[:] for r in county_tables()[HH]]
    rows[1][6], rows[2][6], rows[3][6] = "3.5", "三", "-1"
    res, _ = load(tmp_path, "household", rows, "csv")
    assert res.table["hh_size"].tolist() == [-1]  # negative kept as recorded (rules report it)
    assert sorted(res.quarantine["reason"]) == ["家庭人口数不是数字：三", "家庭人口数应为整数：3.5"]


def test_units_from_header(tmp_path):
    rows = [r[:] for r in county_tables()[HH]]
    rows[1][14], rows[2][14] = "2.5亩", "3元"
    res, _ = load(tmp_path, "household", rows, "csv")
    assert res.table.loc[0, "arable_mu"] == 2.5
    assert res.rows_quarantined == 1 and "耕地面积（亩）不是数字" in res.quarantine.loc[0, "reason"]


# -- blank rows ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_blank_interior_row_counted_and_quarantined(tmp_path, fmt):
    rows = member_rows({"姓名": "甲"})
    rows += [[None] * len(MEMBER_HEAD)] + member_rows({"姓名": "乙"})[1:] + [[None] * len(MEMBER_HEAD)] * 3
    res, _ = load(tmp_path, "member", rows, fmt)
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (3, 2, 1)  # trailing blanks not counted
    assert res.quarantine.loc[0, "reason"] == "空行" and res.quarantine.loc[0, "row"] == 3
    assert list(res.table[S.ROW_COL]) == [2, 4]


# -- whole county -------------------------------------------------------------------------------------------------
def test_load_county_mixed_formats(tmp_path):
    folder = write_county(tmp_path, fmt={HH: "xlsx", MEMBER: "xlsx"})
    (folder / "收入信息.xlsx").write_bytes((folder / "收入信息.csv").read_bytes())  # placeholder, replaced below
    write_xlsx(folder / "收入信息.xlsx", county_tables()[INCOME])
    d = load_county(folder, year=2019)
    assert (d.code, d.name, d.folder, d.year) == ("441881", "英德市", "441881_英德市", 2019)
    assert set(d.tables) == set(S.CORE_TABLES)
    assert "inspection" in d.missing_tables and "police" in d.missing_tables
    assert (d.ledger["rows_read"] == d.ledger["rows_loaded"] + d.ledger["rows_quarantined"]).all()
    f = d.files.set_index("table")
    assert f.loc["income", "path"] == "441881_英德市/收入信息.xlsx" and "已使用xlsx" in f.loc["income", "note"]
    assert len(f.loc["member", "sha256"]) == 64 and f.loc["member", "bytes"] > 0
    assert any("已使用xlsx" in w for w in d.warnings)
    assert d.tables["member"]["hh_id"].dtype == object


def test_department_tables(tmp_path):
    folder = write_county(tmp_path)
    write_csv(
        folder / "部门数据" / "公安_户籍.csv",
        [["证件号码", "姓名", "户籍状态", "变动日期"], [ID1, "张一", "死亡", "2019-05-01"]],
        encoding="gbk",
    )
    d = load_county(folder)
    p = d.tables["police"]
    assert p.loc[0, "hukou_status"] == "死亡" and p.loc[0, "change_date"] == pd.Timestamp("2019-05-01")
    assert "police" not in d.missing_tables
    assert d.files.set_index("table").loc["police", "path"] == "441881_英德市/部门数据/公安_户籍.csv"


def test_county_name_mismatch_is_a_warning(tmp_path):
    tables = county_tables()
    for r in tables[HH][1:]:
        r[1] = "连州市"
    folder = write_county(tmp_path, tables=tables)
    d = load_county(folder)
    assert any("不一致" in w and "连州市（3户）" in w for w in d.warnings)
    ok = load_county(write_county(tmp_path / "b"))
    assert not any("不一致" in w for w in ok.warnings)


def test_folder_code_and_name_disagree_warns(tmp_path):
    d = load_county(write_county(tmp_path, "441882_英德市"))
    assert any("应为 连州市" in w for w in d.warnings)


def test_formula_cells_cached_value_read_uncalculated_warned(tmp_path):
    rows = income_rows(1000, 2000, 3000)
    rows[1][2] = "=500+500"  # openpyxl writes the formula without a cached result
    path = tmp_path / "收入信息.xlsx"
    write_xlsx(path, rows)
    res, _ = load_table(path, S.INCOME, path.name)
    assert np.isnan(res.table["wage"].iloc[0]) and res.table["wage"].iloc[1] == 2000.0
    assert any("1个公式单元格没有计算结果" in w for w in res.warnings)
