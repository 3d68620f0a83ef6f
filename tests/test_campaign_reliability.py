"""Campaign record under faults: SIGKILL in the middle of an apply leaves it before or after; two writers at once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from hgk_lib.campaign.record import Run, open_record
from hgk_lib.campaign.states import reconcile_audit

ROOT = Path(__file__).resolve().parent.parent
N = 30_000  # items per audit: big enough that an apply takes a while (seconds)


def _found(lo, hi):
    ids = [f"R10-{i:016x}" for i in range(lo, hi)]
    return pd.DataFrame(
        {
            "item_id": ids,
            "hh_id": [f"H{i // 3}" for i in range(lo, hi)],
            "source": "规则",
            "rule_id": "R10",
            "description": "问题",
            "department": "扶贫办",
            "deadline": "2019-10-30",
        }
    )


APPLY = textwrap.dedent("""
    import sys, pandas as pd
    sys.path.insert(0, {tests!r})
    from test_campaign_reliability import _found
    from hgk_lib.campaign.record import Run, open_record
    from hgk_lib.campaign.states import reconcile_audit
    con = open_record(sys.argv[1])
    found = _found({lo}, {hi})
    print("START", flush=True)
    reconcile_audit(con, "C", found, Run("audit", input_sha256="b", export_time="2019-10-20"), year=2019)
    print("DONE", flush=True)
""")


def _summary(path):
    con = open_record(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        by_state = dict(con.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall())
        events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        counts = con.execute("SELECT COUNT(*) FROM run_counts").fetchone()[0]
        return runs, by_state, events, counts
    finally:
        con.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    p = tmp_path_factory.mktemp("rec") / "campaign.sqlite"
    con = open_record(p)
    reconcile_audit(con, "C", _found(0, N), Run("audit", input_sha256="a", export_time="2019-09-20"), year=2019)
    con.close()
    return p


@pytest.mark.parametrize("delay", [0.0, 0.2, 0.5, 1.0, 2.0, 4.0, None])
def test_sigkill_during_reaudit_leaves_before_or_after(base, tmp_path, delay):
    path = tmp_path / "campaign.sqlite"
    shutil.copy(base, path)
    before = _summary(path)
    lo, hi = N // 2, N + N // 2  # half found again, half gone (closed), half new
    code = APPLY.format(tests=str(ROOT / "tests"), lo=lo, hi=hi)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
    )
    assert proc.stdout.readline().strip() == "START"
    if delay is None:
        proc.wait(timeout=300)
        assert proc.returncode == 0
    else:
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    after = _summary(path)
    expected_after = (2, {"未整改": N, "已销号": N // 2}, 2 * N, 3)
    assert after in (before, expected_after), (delay, after)
    if delay is None:
        assert after == expected_after


HOLD = textwrap.dedent("""
    import sys, time
    from hgk_lib.campaign.record import open_record, transaction, start_run, Run
    con = open_record(sys.argv[1])
    with transaction(con):
        start_run(con, Run("collect", county="A"))
        print("LOCKED", flush=True)
        time.sleep(float(sys.argv[2]))
    print("DONE", flush=True)
""")


def _holder(path, seconds):
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert p.stdout.readline().strip() == "LOCKED"
    return p


def test_second_writer_waits_and_nothing_is_lost(tmp_path):
    path = tmp_path / "campaign.sqlite"
    open_record(path).close()
    holder = _holder(path, 1.5)
    con = open_record(path, timeout=30)
    t0 = time.monotonic()
    reconcile_audit(con, "B", _found(0, 10), Run("audit", input_sha256="x"), year=2019)
    waited = time.monotonic() - t0
    holder.wait(timeout=30)
    assert waited > 0.5  # it waited for the other writer
    runs = pd.read_sql_query("SELECT kind, county FROM runs ORDER BY run_id", con)
    assert runs.values.tolist() == [["collect", "A"], ["audit", "B"]]
    assert con.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 10
    con.close()


def test_second_writer_times_out_with_chinese_message(tmp_path):
    from hgk_lib.campaign.record import RecordBusyError

    path = tmp_path / "campaign.sqlite"
    open_record(path).close()
    holder = _holder(path, 4)
    con = open_record(path, timeout=0.5)
    with pytest.raises(RecordBusyError, match="另一个程序写入"):
        reconcile_audit(con, "B", _found(0, 10), Run("audit", input_sha256="x"), year=2019)
    holder.wait(timeout=30)
    assert con.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0  # nothing half-written
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1  # the holder's run
    con.close()


def test_collect_cli_busy_exits_2_in_chinese(tmp_path):
    out = tmp_path / "outputs"
    (out / "2019" / "C").mkdir(parents=True)
    path = out / "2019" / "campaign.sqlite"
    open_record(path).close()
    holder = _holder(path, 15)  # longer than the CLI's start-up
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "HGK_CAMPAIGN_TIMEOUT": "0.5"}
    env.pop("HGK_DEBUG", None)
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "问题清单"
    wb.active.append(["问题编号", "整改状态"])
    wb.save(out / "2019" / "C" / "回头看台账_C_2019.xlsx")
    r = subprocess.run(
        [sys.executable, "-m", "hgk_lib", "collect", "--year", "2019", "--out", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    holder.wait(timeout=30)
    assert r.returncode == 2 and "另一个程序写入" in r.stderr and "Traceback" not in r.stderr
