"""Loader: clear Chinese errors for what cannot be read, and refusal of hostile files (fast, bounded memory)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hgk_lib import schema as S
from hgk_lib.errors import InputError, UnsafeInputError
from hgk_lib.io import Limits, find_county_folders, load_county, load_counties
from hgk_lib.io.guard import check_xlsx
from hgk_lib.io.loader import load_table
from malformed.fixtures import HH, MEMBER, county_tables, csv_bytes, write_county, write_csv, write_xlsx


def _load_one(path, table="member"):
    return load_table(path, S.TABLES[table], path.name)


# -- tables and columns -------------------------------------------------------------------------------------------
def test_missing_required_table_names_county_and_file(tmp_path):
    folder = write_county(tmp_path, skip=(MEMBER, "项目库"))
    with pytest.raises(InputError) as e:
        load_county(folder)
    msg = str(e.value)
    assert "441881_英德市" in msg and "贫困人口信息.xlsx" in msg and "项目库.xlsx" in msg and "缺少必需的数据表" in msg


def test_missing_optional_table_is_not_an_error(tmp_path):
    d = load_county(write_county(tmp_path))
    assert "inspection" not in d.tables and "inspection" in d.missing_tables


def test_missing_required_columns_lists_every_one(tmp_path):
    rows = county_tables()[MEMBER]
    drop = {"姓名", "性别", "健康状况"}
    keep = [i for i, h in enumerate(rows[0]) if h not in drop]
    rows = [[r[i] for i in keep] for r in rows]
    path = write_xlsx(tmp_path / "贫困人口信息.xlsx", rows, sheet="人口")
    with pytest.raises(InputError) as e:
        _load_one(path)
    msg = str(e.value)
    for h in ("姓名", "性别", "健康状况", "贫困人口信息.xlsx", "工作表：人口", "缺少必需列（共3列）"):
        assert h in msg


def test_duplicated_header_is_an_error(tmp_path):
    rows = county_tables()[MEMBER]
    rows = [r + [r[3]] for r in rows]  # 证件号码 twice
    path = write_csv(tmp_path / "贫困人口信息.csv", rows)
    with pytest.raises(InputError) as e:
        _load_one(path)
    assert "表头有重复列" in str(e.value) and "证件号码" in str(e.value) and "D、M列" in str(e.value)


def test_no_header_row(tmp_path):
    path = write_csv(tmp_path / "贫困人口信息.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(InputError, match="没有找到表头行"):
        _load_one(path)


def test_header_below_title_limit_not_found(tmp_path):
    rows = [["标题"]] * 10 + county_tables()[MEMBER]
    path = write_xlsx(tmp_path / "贫困人口信息.xlsx", rows)
    with pytest.raises(InputError, match="前10行内没有"):
        _load_one(path)


def test_header_found_on_second_sheet(tmp_path):
    path = write_xlsx(
        tmp_path / "贫困人口信息.xlsx", [["说明"], ["本表为导出说明"]], extra_sheets={"数据": county_tables()[MEMBER]}
    )
    res, info = _load_one(path)
    assert info["sheet"] == "数据" and len(res.table) == 6


def test_two_files_for_one_table(tmp_path):
    folder = write_county(tmp_path)
    (folder / "贫困人口信息 .csv").write_bytes((folder / "贫困人口信息.csv").read_bytes())
    with pytest.raises(InputError, match="多个文件"):
        load_county(folder)


def test_old_xls_only(tmp_path):
    folder = write_county(tmp_path, skip=(MEMBER,))
    (folder / "贫困人口信息.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(InputError, match="另存为"):
        load_county(folder)


# -- encodings ----------------------------------------------------------------------------------------------------
def test_undecodable_csv(tmp_path):
    path = tmp_path / "贫困人口信息.csv"
    path.write_bytes(csv_bytes(county_tables()[MEMBER], "utf-8") + b"\x80\x80\xff\xfe\x81\n")
    with pytest.raises(InputError) as e:
        _load_one(path)
    assert "编码无法识别" in str(e.value) and "贫困人口信息.csv" in str(e.value)


def test_replacement_character_is_an_error(tmp_path):
    rows = county_tables()[MEMBER]
    rows[2][2] = "张\ufffd"
    path = write_csv(tmp_path / "贫困人口信息.csv", rows, "utf-8")
    with pytest.raises(InputError, match="替换字符.*第3行"):
        _load_one(path)


def test_utf16_is_refused_clearly(tmp_path):
    path = write_csv(tmp_path / "贫困人口信息.csv", county_tables()[MEMBER], "utf-16")
    with pytest.raises(InputError, match="UTF-16"):
        _load_one(path)
    path.write_bytes(csv_bytes(county_tables()[MEMBER], "utf-16-le"))
    with pytest.raises(InputError, match="空字符"):
        _load_one(path)


def test_mixed_gbk_and_utf8_is_refused(tmp_path):
    path = tmp_path / "贫困人口信息.csv"
    rows = county_tables()[MEMBER]
    # UTF-8 lines that are not valid GB18030: both decodings fail, the message says where
    path.write_bytes(csv_bytes(rows[:3], "gbk") + csv_bytes(rows[3:], "utf-8"))
    with pytest.raises(InputError, match="按UTF-8解码第1行出错，按GB18030/GBK解码第4行出错"):
        _load_one(path)
    # a UTF-8 line that happens to be valid GB18030 (张三) would become mojibake silently: refused too
    head = ",".join(rows[0]).encode("gbk") + b"\r\n"
    line = "4418810001,P01,张三,441881195501011214,1,,1,1,1,1,,1\r\n".encode("utf-8")
    path.write_bytes(head + line)
    with pytest.raises(InputError, match="混用了GBK与UTF-8编码（第2行是UTF-8）"):
        _load_one(path)


def test_big5_bytes_do_not_load_silently(tmp_path):
    path = tmp_path / "贫困人口信息.csv"
    path.write_bytes("戶編號,人編號,姓名,證件號碼\r\n1,2,張三,4\r\n".encode("big5"))
    with pytest.raises(InputError) as e:
        _load_one(path)
    assert "表头" in str(e.value) or "编码" in str(e.value)


def test_empty_files(tmp_path):
    for name in ("贫困人口信息.csv", "贫困人口信息.xlsx"):
        p = tmp_path / name
        p.write_bytes(b"")
        with pytest.raises(InputError, match="文件为空"):
            _load_one(p)


# -- not really xlsx ----------------------------------------------------------------------------------------------
def test_html_renamed_xlsx(tmp_path):
    p = tmp_path / "贫困人口信息.xlsx"
    p.write_text("<html><body><table><tr><td>户编号</td></tr></table></body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="文件不是有效的xlsx.*HTML"):
        _load_one(p)


def test_csv_renamed_xlsx(tmp_path):
    p = tmp_path / "贫困人口信息.xlsx"
    p.write_bytes(csv_bytes(county_tables()[MEMBER], "gbk"))
    with pytest.raises(InputError, match="文件不是有效的xlsx.*CSV"):
        _load_one(p)


def test_truncated_xlsx(tmp_path):
    good = write_xlsx(tmp_path / "a.xlsx", county_tables()[MEMBER]).read_bytes()
    p = tmp_path / "贫困人口信息.xlsx"
    for cut in (len(good) // 2, len(good) - 30):
        p.write_bytes(good[:cut])
        with pytest.raises(InputError, match="损坏或不完整"):
            _load_one(p)


# -- hostile xlsx -------------------------------------------------------------------------------------------------
def _xlsx_with(tmp_path, replace: dict[str, bytes], add: dict[str, bytes] | None = None, name="贫困人口信息.xlsx"):
    good = write_xlsx(tmp_path / "good.xlsx", county_tables()[MEMBER])
    out = tmp_path / name
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, replace.get(item.filename, src.read(item.filename)))
        for k, v in (add or {}).items():
            dst.writestr(k, v)
    return out


def _refused_fast(path, match, limits=None):
    tracemalloc.start()
    t0 = time.perf_counter()
    data = path.read_bytes()
    try:
        with pytest.raises(UnsafeInputError, match=match) as e:
            check_xlsx(data, path.name, limits or Limits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - t0
    assert elapsed < 3, elapsed
    assert peak < len(data) + 40 * 2**20, peak  # bounded: the file plus a few chunks
    return e.value


def test_zip_bomb_ratio_refused(tmp_path):
    p = _xlsx_with(tmp_path, {}, {"xl/media/bomb.xml": b"\0" * (40 * 2**20)})
    err = _refused_fast(p, "压缩比异常")
    assert "贫困人口信息.xlsx" in str(err)


def test_total_uncompressed_limit(tmp_path):
    p = _xlsx_with(tmp_path, {}, {"xl/media/big.bin": bytes(range(256)) * 8192})  # 2 MiB, low ratio
    _refused_fast(p, "解压后过大", Limits(max_total_uncompressed=1 * 2**20))
    check_xlsx(p.read_bytes(), p.name)  # default 1 GiB limit: fine


def test_too_many_entries(tmp_path):
    p = _xlsx_with(tmp_path, {}, {f"xl/x{i}.txt": b"x" for i in range(60)})
    _refused_fast(p, "文件过多", Limits(max_entries=50))


def test_xml_entity_bomb_refused(tmp_path):
    good = zipfile.ZipFile(write_xlsx(tmp_path / "g.xlsx", county_tables()[MEMBER]))
    sheet = good.read("xl/worksheets/sheet1.xml")
    lol = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i else b"&lol;") * 10) for i in range(1, 10))
        + b"]>\n"
    )
    bomb = lol + sheet[sheet.index(b"<worksheet") :].replace(b"<v>", b"<v>&lol9;", 1)
    p = _xlsx_with(tmp_path, {"xl/worksheets/sheet1.xml": bomb})
    _refused_fast(p, "DOCTYPE")
    with pytest.raises(UnsafeInputError):
        _load_one(p)


def test_entity_in_shared_strings_refused(tmp_path):
    p = _xlsx_with(tmp_path, {}, {"xl/extra.xml": b'<?xml version="1.0"?><!ENTITY x "y"><a/>'})
    _refused_fast(p, "ENTITY")


def test_far_away_cell_refused_before_parsing(tmp_path):
    good = zipfile.ZipFile(write_xlsx(tmp_path / "g.xlsx", county_tables()[MEMBER]))
    sheet = good.read("xl/worksheets/sheet1.xml")
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    p = _xlsx_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", far)})
    err = _refused_fast(p, "数据区域过大")
    assert err.sheet == "Sheet1"
    odd = b"<row r=\"9\"><c\n r = 'XFD9' t='inlineStr'><is><t>x</t></is></c></row></sheetData>"
    p = _xlsx_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", odd)}, name="b.xlsx")
    _refused_fast(p, "数据区域过大", Limits(max_cells=1_000_000))  # unusual but legal attribute spelling


def test_a_province_county_sized_sheet_passes(tmp_path):
    """入户核查表 of a 195,000-household county runs to 674,265 rows: the visit plan hgk writes must read back."""
    good = zipfile.ZipFile(write_xlsx(tmp_path / "g.xlsx", county_tables()[MEMBER]))
    sheet = good.read("xl/worksheets/sheet1.xml")
    tall = b'<row r="674265"><c r="L674265" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    p = _xlsx_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", tall)})
    assert check_xlsx(p.read_bytes(), p.name)["sheets"]["Sheet1"] == (674265, 52)


def test_sheet_formatted_to_the_bottom_is_fine(tmp_path):
    good = zipfile.ZipFile(write_xlsx(tmp_path / "g.xlsx", county_tables()[MEMBER]))
    sheet = good.read("xl/worksheets/sheet1.xml")
    rows = b"".join(
        b'<row r="%d" s="1"><c r="A%d" s="1"/><c r="XFD%d" s="1" /></row>' % (r, r, r)
        for r in range(100_000, 1_048_577, 997)
    )
    p = _xlsx_with(tmp_path, {"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", rows + b"</sheetData>")})
    res, _ = _load_one(p)
    assert len(res.table) == 6


def test_defusedxml_is_used_by_openpyxl():
    import defusedxml  # noqa: F401
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


# -- folders ------------------------------------------------------------------------------------------------------
def test_find_county_folders(tmp_path):
    for name in ("441882_连州市", "441881_英德市", "说明", "12345_x", "441881"):
        (tmp_path / name).mkdir()
    (tmp_path / "441803_清新区.txt").write_text("x")
    assert [p.name for p in find_county_folders(tmp_path)] == ["441881_英德市", "441882_连州市"]


def test_find_county_folders_refuses_control_characters(tmp_path):
    (tmp_path / "441881_英德\x07市").mkdir()
    with pytest.raises(InputError, match="不安全"):
        find_county_folders(tmp_path)


def test_root_that_is_a_county_folder(tmp_path):
    folder = write_county(tmp_path)
    assert find_county_folders(folder) == [folder]


def test_missing_root_and_empty_root(tmp_path):
    with pytest.raises(InputError, match="不存在"):
        find_county_folders(tmp_path / "nope")
    with pytest.raises(InputError, match="没有县目录"):
        find_county_folders(tmp_path)


@pytest.mark.parametrize("bad", ["../441881_英德市", "/etc", "441881_英德市/..", "..", "441881_\n英德市", "a\\b"])
def test_load_counties_refuses_unsafe_names(tmp_path, bad):
    write_county(tmp_path)
    with pytest.raises(InputError):
        load_counties(tmp_path, counties=[bad])


def test_load_counties_unknown_name(tmp_path):
    write_county(tmp_path)
    with pytest.raises(InputError, match="没有这些县目录：441882_连州市"):
        load_counties(tmp_path, counties=["441882_连州市"])
    assert [d.folder for d in load_counties(tmp_path, ["441881_英德市"], year=2019)] == ["441881_英德市"]


def test_bad_folder_name(tmp_path):
    (tmp_path / "英德市").mkdir()
    with pytest.raises(InputError, match="县目录名应形如"):
        load_county(tmp_path / "英德市")


def test_xlsx_check_ok_for_real_workbook(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", county_tables()[HH])
    rep = check_xlsx(p.read_bytes(), "a.xlsx")
    assert rep["sheets"]["Sheet1"][0] >= 4 and rep["entries"] > 3


def test_sheet_names_helper_handles_unusual_zip(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
    with pytest.raises(InputError):
        # a "workbook" with no sheets: passes the guard, then fails clearly in the reader
        _load_one(_write(tmp_path / "贫困人口信息.xlsx", buf.getvalue()))


def _write(p, data):
    p.write_bytes(data)
    return p


def test_gbk_words_that_are_valid_utf8_are_not_mixed_encoding(tmp_path):
    rows = [["证件号码", "学段", "在读状态"], ["441881201009091248", "小学", "1"], ["441881201009091256", "小学", "1"]]
    path = write_csv(tmp_path / "教育_学籍.csv", rows, "gbk")
    assert "小学".encode("gbk").decode("utf-8")  # valid UTF-8 by chance
    res, info = load_table(path, S.TABLES["education"], path.name)
    assert info["encoding"] == "gb18030" and res.table["stage"].tolist() == ["小学", "小学"]


@settings(max_examples=300, deadline=None)
@given(
    refs=st.lists(
        st.tuples(
            st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3),
            st.integers(1, 9_999_999),
            st.sampled_from([b"", b"/"]),
        ),
        max_size=30,
    )
)
def test_far_extent_is_the_largest_row_and_column(refs):
    """The xlsx guard's sheet extent (the zip-bomb / far-cell check) from many cell references at once equals the
    cell-by-cell maximum."""
    import re

    from hgk_lib.io.guard import col_number, far_extent

    matches = [(f"{c}{r}".encode(), slash) for c, r, slash in refs]
    rows = cols = 0
    for ref, slash in matches:
        if slash:
            continue
        m = re.fullmatch(r"([A-Z]+)(\d+)", ref.decode())
        cols, rows = max(cols, col_number(m.group(1))), max(rows, int(m.group(2)))
    assert far_extent(matches) == (rows, cols)
