"""Charts render Chinese text with a real CJK font: a missing glyph fails the test."""

import warnings

import matplotlib
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from helpers import report_tables as F
from hgk_lib.report import plots as P
from hgk_lib.report.summary import build_county_summary


def _draw_strict(fig):
    FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        warnings.filterwarnings("error")  # "Glyph ... missing from font(s)" becomes a failure
        fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return texts


def _summaries():
    s1 = build_county_summary(**F.ledger_kwargs())
    s2 = build_county_summary(**F.ledger_kwargs(county_folder="441882_连州市", county_name="连州市"))
    return [s1, s2]


def _status():
    return pd.DataFrame(
        {"department": ["扶贫办", "扶贫办", "医保局", "水利局"], "status": ["已整改", "未整改", "整改中", "未整改"]}
    )


FIGURES = {
    "income": lambda: P.plot_income_by_verdict(F.audit().verdicts, 8400, 4000),
    "findings": lambda: P.plot_findings_by_category_township(F.findings(), F.households()),
    "gaps": lambda: P.plot_measure_gaps_by_year(F.audit().measure_gaps),
    "needs": lambda: P.plot_needs(F.audit().needs),
    "city_verdicts": lambda: P.plot_city_verdicts(_summaries()),
    "city_departments": lambda: P.plot_city_findings_by_department(_summaries()),
    "city_rectification": lambda: P.plot_city_rectification(_status()),
    "empty": lambda: P.plot_needs(F.audit().needs.iloc[:0]),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_chart_has_every_glyph(name):
    fig = FIGURES[name]()
    texts = _draw_strict(fig)
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)  # Chinese text was drawn


def test_negative_ticks_and_every_label_string_draw():
    fig = P._figure()
    ax = fig.add_subplot()
    ax.plot([-1500, 0, 1500], [0, 1, 2], label="差额（元）−")
    ax.set_title("脱贫质量 A 稳定 B 不稳定 C 差距大；返贫（因病、因残）；整改中／已整改 ≥ 1.2×")
    ax.legend()
    _draw_strict(fig)
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_use_chinese_font_is_idempotent():
    a = P.use_chinese_font()
    b = P.use_chinese_font()
    assert a == b and a in P.CJK_FAMILIES
    assert matplotlib.rcParams["font.family"][0] == a


def test_missing_glyph_would_be_caught():
    """The guard works: with a Latin-only font the same drawing warns."""
    fig = P._figure()
    ax = fig.add_subplot()
    ax.set_title("核查结论")
    ax.title.set_fontfamily("DejaVu Sans")
    FigureCanvasAgg(fig)
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()


def test_rectification_progress_table():
    prog = P.rectification_progress(_status()).set_index("department")
    assert prog.loc["扶贫办", ["未整改", "整改中", "已整改", "total"]].tolist() == [1, 0, 1, 2]
    assert prog.loc["扶贫办", "done_share"] == 0.5
