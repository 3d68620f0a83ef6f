"""Issue 14 §4: the HTML reports of a run are fit to send — no English value words, no raw floats, and the county
report opens on its verdicts and main findings. Scanned on the end-to-end run of the committed fixture (the same
``hgk audit`` the other end-to-end tests share), plus the spot-check evaluation of that run."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess

import pytest

from helpers.e2e import TRUTH, YEAR, assert_run_ok, hgk

#: what an auditor must never read in a Chinese report: Python/pandas value words and unrounded floats
ENGLISH_VALUES = re.compile(r"(?<![\w.])(True|False|NaN|nan|None|NaT|<NA>)(?![\w.])")
RAW_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d{6,}(?![\d])")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def visible_text(page: str) -> str:
    """The text a reader sees: scripts, styles, tags, comments and embedded images removed, entities decoded."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return htmllib.unescape(page)


@pytest.fixture(scope="module")
def pages(e2e, tmp_path_factory):
    run = e2e.audit("a")
    assert_run_ok(run)
    city = run["out"] / str(YEAR) / "市汇总"
    extra = tmp_path_factory.mktemp("pages_eval")
    filled = extra / f"抽查名单_{YEAR}_已填写.xlsx"
    assert (
        hgk("demo-inspect", "--list", city / f"抽查名单_{YEAR}.xlsx", "--truth", TRUTH, "--out", filled).returncode == 0
    )
    assert hgk("spot-check", "evaluate", "--results", filled, "--out", extra).returncode == 0
    files = sorted(run["out"].rglob("*.html")) + sorted(extra.rglob("*.html"))
    return {p: p.read_text(encoding="utf-8") for p in files}


@pytest.mark.slow
def test_every_report_of_the_run_is_scanned(pages):
    names = {p.name for p in pages}
    assert any(n.startswith("回头看报告_") for n in names)
    assert {f"回头看总结_{YEAR}.html", f"风险模型卡_{YEAR}.html", f"抽查结果评估_{YEAR}.html"} <= names


@pytest.mark.slow
def test_no_report_shows_english_value_words(pages):
    found = {}
    for p, page in pages.items():
        hits = sorted({m.group(0) for m in ENGLISH_VALUES.finditer(visible_text(page))})
        if hits:
            found[p.name] = hits
    assert found == {}


@pytest.mark.slow
def test_no_report_shows_a_float_with_six_decimals(pages):
    found = {}
    for p, page in pages.items():
        hits = RAW_FLOAT.findall(visible_text(page))
        if hits:
            found[p.name] = hits[:5]
    assert found == {}


@pytest.mark.slow
def test_the_county_report_opens_on_verdicts_and_findings_and_ends_with_the_run_parameters(pages):
    for p, page in pages.items():
        if not p.name.startswith("回头看报告_"):
            continue
        text = visible_text(page)
        verdicts, findings, params = (
            text.find("已脱贫户核查结论"),
            text.find("问题按责任部门"),
            text.find("运行参数与数据来源"),
        )
        assert -1 < verdicts < params and -1 < findings < params, p.name
        assert text.find("主要数字") < verdicts, p.name  # headline numbers first, then the verdicts


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed on this machine (Debian: apt-get install chromium)"
)
def test_a_browser_renders_the_first_screen_of_every_report(pages, tmp_path):
    """Headless Chromium screenshots of each report's first screen (1280×900): the page renders, and the picture is
    not blank. The PNGs are kept next to the test's temporary files for a person to look at."""
    from PIL import Image

    for i, p in enumerate(pages):
        png = tmp_path / f"{i:02d}_{p.stem}.png"
        cmd = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1280,900",
            p.resolve().as_uri(),
        ]
        subprocess.run(cmd, capture_output=True, timeout=120)
        assert png.exists(), p.name
        img = Image.open(png).convert("L")
        assert img.size == (1280, 900)
        lo, hi = img.getextrema()
        assert hi - lo > 100, f"{p.name}: the first screen is blank"
