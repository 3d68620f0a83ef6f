"""Issue 7: ``hgk load`` on the malformed corpus (tests/malformed/build.py).

One subprocess run loads every case (one county folder each): a broken county must fail with a Chinese message
naming the file (and sheet/row/column where they apply) and no traceback, while the other counties still load;
a loadable county must quarantine exactly the bad rows and balance its ledger.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hgk_lib.io import read_processed
from malformed.build import CASES, build

REPO = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def _hgk(*args, cwd=None):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("HGK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "hgk_lib", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd or REPO,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    cases = build(root / "raw")
    proc = _hgk("load", "--data", str(root / "raw"), "--year", "2019", "--out", str(root / "processed"))
    errors = dict(re.findall(r"^【(.+?)】错误：(.+)$", proc.stderr, flags=re.M))
    return {"root": root, "cases": {c.folder: c for c in cases}, "proc": proc, "errors": errors}


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert sum(c.error is not None for c in CASES) >= 15 and sum(c.error is None for c in CASES) >= 15


def test_run_reports_failures_without_traceback(corpus):
    proc = corpus["proc"]
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    n_err = sum(c.error is not None for c in CASES)
    assert len(corpus["errors"]) == n_err, proc.stderr
    assert f"失败 {n_err} 个" in proc.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(corpus, case):
    folder = case.folder
    out = corpus["root"] / "processed" / "2019" / folder
    if case.error is not None:
        msg = corpus["errors"].get(folder)
        assert msg is not None, f"{folder} should fail:\n{corpus['proc'].stderr[-3000:]}"
        assert CJK.search(msg)
        assert folder in msg  # the file is named with its county folder
        for frag in case.error:
            assert frag in msg, f"{frag!r} not in {msg!r}"
        assert not (out / "manifest.json").exists()
        return
    assert folder not in corpus["errors"], corpus["errors"].get(folder)
    d = read_processed(out)
    led = d.ledger
    assert (led["rows_read"] == led["rows_loaded"] + led["rows_quarantined"]).all()
    for r in led.itertuples():
        assert len(d.tables[r.table]) == r.rows_loaded
        assert d.quarantine.loc[d.quarantine["table"] == r.table, "row"].nunique() == r.rows_quarantined
    got = set(zip(d.quarantine["table"], d.quarantine["row"]))
    assert got == case.quarantine, d.quarantine.to_string()
    for q in d.quarantine.itertuples():
        assert q.file.startswith(folder + "/") and CJK.search(q.reason)
        assert q.reason == "空行" or q.column  # names the column
    if case.check:
        case.check(d)
    if case.warning:
        assert any(case.warning in w for w in d.warnings)
        assert case.warning in corpus["proc"].stdout


def test_single_failing_county_exit_code(tmp_path):
    case = next(c for c in CASES if c.name == "压缩炸弹")
    build_one = tmp_path / "raw" / "441881_英德市"
    build_one.mkdir(parents=True)
    case.make(build_one)
    proc = _hgk("load", "--data", str(tmp_path / "raw"), "--year", "2019", "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "疑似压缩炸弹" in proc.stderr and "441881_英德市/贫困人口信息.xlsx" in proc.stderr


def test_bad_arguments_exit_2_without_traceback(tmp_path):
    proc = _hgk("load", "--data", str(tmp_path / "nope"), "--year", "2019", "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "数据目录不存在" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "raw" / "441881_英德市").mkdir(parents=True)
    proc = _hgk(
        "load",
        "--data",
        str(tmp_path / "raw"),
        "--year",
        "2019",
        "--out",
        str(tmp_path / "p"),
        "--county",
        "../441881_英德市",
    )
    assert proc.returncode == 2 and "不安全" in proc.stderr and "Traceback" not in proc.stderr
