"""Processed data round trip, safe output paths, atomic writes, and the ``hgk load`` command."""

from __future__ import annotations

import argparse
import json
import os

import pandas as pd
import pytest

from hgk_lib import schema as S
from hgk_lib.errors import InputError, UnsafeInputError
from hgk_lib.io import atomic_write, load_county, read_processed, safe_output_path, write_processed
from hgk_lib.io.cli import run
from malformed.fixtures import HH, ID1, MEMBER, county_tables, write_county, write_csv


def _messy_county(tmp_path):
    tables = county_tables()
    m = tables[MEMBER]
    m[1][5] = "2019-02-30"  # date -> NaT + raw
    m[2][6] = "表兄"  # relation unknown -> NA + raw
    m[3][11] = "也许"  # yes/no unknown
    m[4][3] = 441881201009091248  # precision-lost ID -> quarantine
    return write_county(tmp_path, tables=tables, fmt={HH: "xlsx", MEMBER: "xlsx"})


def test_round_trip_preserves_dtypes_and_values(tmp_path):
    d = load_county(_messy_county(tmp_path / "raw"), year=2019)
    write_csv(tmp_path / "x.csv", [["a"]])  # unrelated file
    out = write_processed(d, tmp_path / "out")
    r = read_processed(out)
    assert set(r.tables) == set(d.tables)
    for name in d.tables:
        pd.testing.assert_frame_equal(r.tables[name], d.tables[name])
    m = r.tables["member"]
    assert m["birth_date"].dtype == "datetime64[ns]" and m["ins_resident"].dtype == "boolean"
    assert m["birth_date__raw"].dtype == object and m["birth_date__raw"].dropna().tolist() == ["2019-02-30"]
    assert m["relation__raw"].dropna().tolist() == ["表兄"] and m["ins_resident__raw"].dropna().tolist() == ["也许"]
    assert r.tables["household"]["hh_size"].dtype == "Int64"
    assert m["name"].map(type).eq(str).all()
    for attr in ("quarantine", "ledger", "files"):
        pd.testing.assert_frame_equal(getattr(r, attr), getattr(d, attr))
    assert r.quarantined_hh == d.quarantined_hh == {"4418810002"}
    assert r.missing_optional == d.missing_optional and r.missing_tables == d.missing_tables
    assert (r.folder, r.code, r.name, r.year) == ("441881_英德市", "441881", "英德市", 2019)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["member"]["rows"] == 5


def test_rewrite_removes_stale_tables(tmp_path):
    folder = write_county(tmp_path / "raw")
    write_csv(folder / "部门数据" / "公安_户籍.csv", [["证件号码", "户籍状态"], [ID1, "正常"]])
    out = tmp_path / "out"
    write_processed(load_county(folder), out)
    assert (out / "police.parquet").exists()
    (folder / "部门数据" / "公安_户籍.csv").unlink()
    write_processed(load_county(folder), out)
    assert not (out / "police.parquet").exists() and "police" not in read_processed(out).tables


def test_read_processed_without_manifest(tmp_path):
    with pytest.raises(InputError, match="manifest.json"):
        read_processed(tmp_path)


@pytest.mark.parametrize(
    "parts", [("..",), ("a/b",), ("/abs",), ("a\\b",), ("a\x00",), ("",), ("C:x",), ("ok", ".."), ("x\n",)]
)
def test_safe_output_path_refuses(tmp_path, parts):
    with pytest.raises(UnsafeInputError):
        safe_output_path(tmp_path, *parts)


def test_safe_output_path_accepts_and_refuses_symlink_escape(tmp_path):
    assert safe_output_path(tmp_path, "2019", "441881_英德市") == tmp_path / "2019" / "441881_英德市"
    assert safe_output_path(tmp_path, 2019) == tmp_path / "2019"
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(UnsafeInputError):
        safe_output_path(tmp_path, "link", "x")  # link/x resolves outside the root


def test_atomic_write_replaces_and_cleans_up(tmp_path):
    target = tmp_path / "sub" / "a.json"
    with atomic_write(target, "w", encoding="utf-8") as f:
        f.write("一")
    assert target.read_text(encoding="utf-8") == "一"
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w", encoding="utf-8") as f:
            f.write("half")
            raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "一"
    with atomic_write(tmp_path / "t.parquet") as tmp:
        assert tmp.suffix == ".parquet" and tmp.parent == tmp_path
        pd.DataFrame({"a": [1]}).to_parquet(tmp)
    assert pd.read_parquet(tmp_path / "t.parquet")["a"].tolist() == [1]
    assert sorted(os.listdir(tmp_path)) == ["sub", "t.parquet"]  # no temporary files left behind
    assert os.listdir(tmp_path / "sub") == ["a.json"]


def _args(data, out, county=None):
    return argparse.Namespace(data=str(data), year=2019, out=str(out), county=county, params=None)


def test_cli_run_writes_per_county_and_reports(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_county(raw)
    write_county(raw, "441882_连州市")
    rc = run(_args(raw, tmp_path / "processed"))
    out = capsys.readouterr().out
    assert rc == 0
    for c in ("441881_英德市", "441882_连州市"):
        assert (tmp_path / "processed" / "2019" / c / "member.parquet").exists()
        assert c in out
    assert "贫困人口信息" in out and "隔离 0 行" in out and "全部完成" in out


def test_cli_one_county_fails_others_still_load(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_county(raw)
    write_county(raw, "441882_连州市", skip=(MEMBER,))
    rc = run(_args(raw, tmp_path / "processed"))
    cap = capsys.readouterr()
    assert rc == 2
    assert (tmp_path / "processed" / "2019" / "441881_英德市" / "manifest.json").exists()
    assert not (tmp_path / "processed" / "2019" / "441882_连州市").exists()
    assert "【441882_连州市】错误" in cap.err and "贫困人口信息.xlsx" in cap.err and "失败 1 个" in cap.err


def test_cli_county_selection_and_unsafe_names(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_county(raw)
    write_county(raw, "441882_连州市")
    assert run(_args(raw, tmp_path / "p", ["441882_连州市"])) == 0
    assert not (tmp_path / "p" / "2019" / "441881_英德市").exists()
    with pytest.raises(InputError):
        run(_args(raw, tmp_path / "p", ["../441882_连州市"]))


def test_quarantine_columns_and_chinese_reason(tmp_path):
    d = load_county(_messy_county(tmp_path))
    q = d.quarantine
    assert list(q.columns) == ["table", "file", "sheet", "row", "column", "value", "reason"]
    row = q.iloc[0]
    assert (row["table"], row["file"], row["sheet"], row["row"], row["column"]) == (
        "member",
        "441881_英德市/贫困人口信息.xlsx",
        "Sheet1",
        7,
        "证件号码",
    )
    assert "无法恢复" in row["reason"]
    assert S.TABLES[row["table"]].label == "贫困人口信息"
