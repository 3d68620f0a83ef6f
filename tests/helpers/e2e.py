"""End-to-end helpers shared by the run-level tests (test_reliability, test_privacy_run, test_reproducible): one
planted copy of the fixture export and one ``hgk audit`` run per name per session (:class:`E2E`, the ``e2e`` fixture
of ``conftest.py``), kill/resume helpers and comparisons of two runs' outputs."""

from __future__ import annotations
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from .paths import FIXTURE, ROOT, TRUTH, YEAR, fixture_counties  # noqa: F401  (re-exported)

CJK = re.compile(r"[\u4e00-\u9fff]")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")


def hgk_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("HGK_DEBUG", None)
    return env


def hgk(*args, timeout: float = 900, cwd=ROOT) -> subprocess.CompletedProcess:
    """``python -m hgk_lib <args>`` as an inspector types it (no HGK_DEBUG: errors are shown as users see them)."""
    return subprocess.run(
        [sys.executable, "-m", "hgk_lib", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        env=hgk_env(),
        timeout=timeout,
    )


# ---------------------------------------------------------------------------------------------------------------
# planting hostile text and a full ID into a copy of the fixture export
# ---------------------------------------------------------------------------------------------------------------
#: (table file, column, data row (0 = first row under the header), value). Text that a spreadsheet would evaluate.
FORMULA_PLANTS = [
    ("贫困户信息", "户主姓名", 0, '=HYPERLINK("http://example.invalid","点击")'),
    ("贫困户信息", "行政村", 1, "+1+1村"),
    ("贫困人口信息", "姓名", 1, "@SUM(1,1)"),
    ("帮扶措施", "措施内容", 0, "-2+3 措施"),
    ("收入信息", "工资性收入", 0, "=1+1"),  # not an amount: quarantined, its 原值 lands in 隔离数据
    ("项目库", "项目名称", 0, "=cmd|' /C calc'!A0"),
]
ID_ROW = 2  # member data row whose ID gets a wrong check digit (R02 reports it, with the full ID, in the ledger)
_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check_char(body17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, _W)) % 11]


def _csv_encoding(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise AssertionError("fixture CSV in an unexpected encoding")


def _header_row(rows, column: str) -> int:
    for i, r in enumerate(rows[:15]):
        if column in [str(v).strip() if v is not None else "" for v in r]:
            return i
    raise KeyError(column)


def edit_table(folder: Path, table: str, column: str, row: int, fn) -> tuple[str, str]:
    """Replace one data cell of ``table`` (xlsx or csv, title rows allowed) by ``fn(old)``; returns (old, new)."""
    path = next(p for p in sorted(folder.iterdir()) if p.stem == table and p.suffix.lower() in (".csv", ".xlsx"))
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        enc = _csv_encoding(raw)
        rows = list(csv.reader(io.StringIO(raw.decode(enc), newline="")))
        h = _header_row(rows, column)
        j = [c.strip() for c in rows[h]].index(column)
        old = rows[h + 1 + row][j]
        rows[h + 1 + row][j] = new = fn(old)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n" if b"\r\n" in raw else "\n").writerows(rows)
        path.write_bytes(buf.getvalue().encode(enc))
        return old, new
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for ws in wb.worksheets:
        rows = [[c.value for c in r] for r in ws.iter_rows(max_row=15)]
        try:
            h = _header_row(rows, column)
        except KeyError:
            continue
        j = [str(v).strip() if v is not None else "" for v in rows[h]].index(column)
        cell = ws.cell(row=h + 2 + row, column=j + 1)
        old = "" if cell.value is None else str(cell.value)
        cell.value = new = fn(old)
        cell.data_type = "s"
        wb.save(path)
        return old, new
    raise KeyError(f"{table}: {column}")


def plant_hostile_text(export: Path) -> dict:
    """Plant formula-like text (:data:`FORMULA_PLANTS`) and one ID with a wrong check digit into the last county
    of ``export`` (a copy). Returns ``{"county", "formulas": [...], "bad_id", "good_id"}``."""
    county = sorted(p for p in export.iterdir() if p.is_dir())[-1]
    formulas = []
    for table, column, row, value in FORMULA_PLANTS:
        edit_table(county, table, column, row, lambda _old, v=value: v)
        formulas.append(value)

    def break_check_digit(old: str) -> str:
        good = id_check_char(old[:17])
        return old[:17] + next(c for c in "0123456789X" if c not in (good, old[17]))

    old, new = edit_table(county, "贫困人口信息", "证件号码", ID_ROW, break_check_digit)
    return {"county": county.name, "formulas": formulas, "bad_id": new, "good_id": old}


# ---------------------------------------------------------------------------------------------------------------
# shared end-to-end runs (one per name per session)
# ---------------------------------------------------------------------------------------------------------------
class E2E:
    """The planted export and ``hgk audit`` runs on it, each made once per test session."""

    def __init__(self, base: Path):
        self.base = base
        self.runs: dict[str, dict] = {}
        self.planted: dict | None = None
        self.export_digest: dict[str, str] | None = None

    def export(self) -> Path:
        data = self.base / "export" / str(YEAR)
        if self.planted is None:
            shutil.copytree(FIXTURE, data)
            self.planted = plant_hostile_text(data)
            self.export_digest = tree_digest(data)
        return data

    def audit(self, name: str = "a") -> dict:
        """``hgk audit --data <planted export> --year 2019 --out <base>/<name> --workers 2`` (once per name)."""
        if name not in self.runs:
            out = self.base / name
            t0 = time.monotonic()
            proc = hgk("audit", "--data", self.export(), "--year", YEAR, "--out", out, "--workers", 2)
            summary_file = out / str(YEAR) / "run_summary.json"
            self.runs[name] = {
                "out": out,
                "data": self.export(),
                "rc": proc.returncode,
                "stdout": proc.stdout,
                "stderr": proc.stderr,
                "seconds": round(time.monotonic() - t0, 1),
                "summary": json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.exists() else None,
            }
        return self.runs[name]


def tree_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (hidden files included), by relative path."""
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


_E2E: dict[str, E2E] = {}


def shared_e2e(tmp_path_factory) -> E2E:
    """The session's :class:`E2E` (the ``e2e`` fixture of conftest.py)."""
    fixture_counties()  # fails when the committed export is missing
    key = str(tmp_path_factory.getbasetemp())
    if key not in _E2E:
        _E2E[key] = E2E(tmp_path_factory.mktemp("e2e"))
    return _E2E[key]


def assert_run_ok(run: dict) -> None:
    assert run["summary"] is not None, run["stderr"][-3000:]
    assert run["rc"] == 0 and run["summary"]["ok"], (run["summary"], run["stderr"][-3000:])


# ---------------------------------------------------------------------------------------------------------------
# reading outputs back
# ---------------------------------------------------------------------------------------------------------------
def is_temp(path: Path) -> bool:
    """A temporary file of an atomic write (``.<name>.<random>.tmp<suffix>``, ``<name>.tmp``)."""
    return (path.name.startswith(".") and ".tmp" in path.name) or path.name.endswith(".tmp")


def temp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and is_temp(p))


def check_output_file(path: Path) -> str | None:
    """None when ``path`` is a complete file of its kind, else what is wrong with it."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                for ws in wb.worksheets:
                    for _ in ws.iter_rows(values_only=True):
                        pass
            finally:
                wb.close()
        elif suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif suffix == ".ipynb":
            import nbformat

            nbformat.read(str(path), as_version=4)
        elif suffix == ".html":
            text = path.read_text(encoding="utf-8")
            if "</html>" not in text[-2000:].lower():
                return "HTML 不完整（没有 </html>）"
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.read_metadata(path)
        elif suffix == ".skops":
            with zipfile.ZipFile(path) as z:
                if z.testzip() is not None:
                    return "zip 损坏"
        elif suffix in (".log", ".txt", ".csv"):
            path.read_text(encoding="utf-8")
    except Exception as err:  # noqa: BLE001 - any failure to read back is the finding
        return f"{type(err).__name__}: {err}"
    return None


def broken_outputs(root: Path) -> dict[str, str]:
    """Every file under ``root`` with a final name (not a temporary file) that does not read back completely."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not is_temp(p):
            problem = check_output_file(p)
            if problem:
                out[str(p.relative_to(root))] = problem
    return out


def unfinished_notebooks(root: Path) -> list[str]:
    """Executed notebooks under their final name whose papermill run never finished (killed mid-way)."""
    import nbformat

    out = []
    for p in sorted(root.rglob("*.ipynb")):
        if is_temp(p):
            continue
        try:
            nb = nbformat.read(str(p), as_version=4)
        except Exception:  # noqa: BLE001 - reported by broken_outputs
            continue
        pm = nb.metadata.get("papermill", {})
        if pm and not pm.get("end_time"):
            out.append(str(p.relative_to(root)))
    return out


# ---------------------------------------------------------------------------------------------------------------
# comparing two runs (also used by test_reproducible.py)
# ---------------------------------------------------------------------------------------------------------------
#: Columns whose cells are timings, not results (规则运行情况 用时（秒）).
#: Keys of run.json / run_summary.json that describe one execution, not its results (timings live there, never in
#: a workbook: issue 10 item 6).
VOLATILE_KEYS = {
    "seconds",
    "started_at",
    "finished_at",
    "host",
    "attempts",
    "run",
    "run_time_utc",
    "time_utc",
    "written_at",
    "timings",
    "rule_seconds",
    "html_seconds",
}


def _norm_text(v, roots):
    if not isinstance(v, str):
        return v
    for r in roots:
        v = v.replace(str(r), "<OUT>")
    return ISO_TIME.sub("<TIME>", v)


def comparable_workbook(path: Path, roots=()) -> dict[str, list[tuple]]:
    """Every sheet's cell values (openpyxl), with run times and output roots neutralised (no workbook carries a
    timing column)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            out[ws.title] = [tuple(_norm_text(v, roots) for v in r) for r in ws.iter_rows(values_only=True)]
        return out
    finally:
        wb.close()


def comparable_json(path: Path, roots=()):
    from hgk_lib.report.summary import strip_volatile

    def drop(o):
        if isinstance(o, dict):
            return {k: drop(v) for k, v in o.items() if k not in VOLATILE_KEYS}
        if isinstance(o, list):
            return [drop(v) for v in o]
        return _norm_text(o, roots)

    text = path.read_text(encoding="utf-8")
    for r in roots:
        text = text.replace(json.dumps(str(r))[1:-1], "<OUT>")
    return drop(strip_volatile(json.loads(text)))


def workbook_differences(a: Path, b: Path, roots=()) -> list[str]:
    """Human-readable differences between two workbooks, cell by cell (empty list: equal)."""
    wa, wb = comparable_workbook(a, roots), comparable_workbook(b, roots)
    diffs = []
    if list(wa) != list(wb):
        return [f"工作表不同：{list(wa)} / {list(wb)}"]
    for sheet in wa:
        ra, rb = wa[sheet], wb[sheet]
        if len(ra) != len(rb):
            diffs.append(f"{sheet}: 行数 {len(ra)} / {len(rb)}")
            continue
        for i, (x, y) in enumerate(zip(ra, rb), start=1):
            if x != y:
                cells = [(j, p, q) for j, (p, q) in enumerate(zip(x, y)) if p != q] or [("len", len(x), len(y))]
                diffs.append(f"{sheet}!行{i}: {cells[:3]}")
    return diffs


def result_files(root: Path) -> list[str]:
    """Relative paths of the workbooks and JSON files of a run (processed parquet and temporaries aside)."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".xlsx", ".json") and not is_temp(p) and "_processed" not in p.parts
    )


def run_differences(a: Path, b: Path, skip=()) -> dict[str, list[str]]:
    """Per result file of run ``a``: its differences from run ``b`` (missing files included); ``skip``: file names
    left out."""
    roots = (a, b)
    out = {}
    fa, fb = ([f for f in result_files(r) if Path(f).name not in skip] for r in (a, b))
    for rel in sorted(set(fa) | set(fb)):
        pa, pb = a / rel, b / rel
        if not (pa.exists() and pb.exists()):
            out[rel] = ["只在一次运行中存在"]
        elif rel.endswith(".xlsx"):
            d = workbook_differences(pa, pb, roots)
            if d:
                out[rel] = d[:10]
        elif comparable_json(pa, roots) != comparable_json(pb, roots):
            out[rel] = ["JSON 内容不同"]
    return out


# ---------------------------------------------------------------------------------------------------------------
# (a) a run killed mid-way, then --resume
# ---------------------------------------------------------------------------------------------------------------
def descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(procs) -> list:
    import psutil

    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def kill_everything(proc: subprocess.Popen, also=()) -> None:
    """SIGKILL the run and every process it started, whatever session they moved to (a power cut)."""
    import psutil

    seen = {p.pid: p for p in also}
    try:
        if proc.poll() is None:
            seen[proc.pid] = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        pass
    for _ in range(3):  # freeze, then look again: a frozen process starts nothing new
        for p in list(seen.values()):
            for c in descendants(p.pid):
                seen.setdefault(c.pid, c)
        for p in list(seen.values()):
            try:
                p.send_signal(signal.SIGSTOP)
            except psutil.NoSuchProcess:
                pass
    for p in list(seen.values()):
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=30)
    psutil.wait_procs(list(seen.values()), timeout=10)


def start_audit(data: Path, out: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hgk_lib",
            "audit",
            "--data",
            str(data),
            "--year",
            str(YEAR),
            "--out",
            str(out),
            "--workers",
            "2",
            *map(str, extra),
        ],
        cwd=ROOT,
        env=hgk_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # as at a terminal: a runner started in the background (``cmd &`` without job control) ignores SIGINT, and
        # an ignored signal stays ignored in every child — Ctrl-C tests would then see a run that never stops
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_until(proc: subprocess.Popen, predicate, timeout: float = 300, poll: float = 0.005) -> bool:
    """Poll ``predicate()`` until true (returns True) or the process ends (False)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return True
        if proc.poll() is not None:
            return predicate()
        time.sleep(poll)
    raise AssertionError("运行超时")


def ledger_temp(out: Path) -> bool:
    d = out / str(YEAR)
    return d.is_dir() and any(p.name.startswith(".回头看台账_") for p in d.glob("*/.*"))


def county_notebook_started(out: Path) -> bool:
    """papermill has started writing a county notebook (under its final name or a temporary one)."""
    d = out / str(YEAR)
    return d.is_dir() and any(p.suffix == ".ipynb" and "回头看报告_" in p.name for p in d.glob("*/*"))


def city_notebook_started(out: Path) -> bool:
    """papermill has started writing the city notebook (under its final name or a temporary one)."""
    city = out / str(YEAR) / "市汇总"
    return city.is_dir() and any(p.suffix == ".ipynb" and f"回头看总结_{YEAR}" in p.name for p in city.iterdir())
