"""HTML report: code hidden, table of contents, personal numbers masked, deterministic, atomic."""

import base64
import io

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hgk_lib.report.mask import find_unmasked_pii
from hgk_lib.report.render import render_notebook_html


def _png() -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1))
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def notebook(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 英德市 回头看核查报告\n说明文字"),
            new_code_cell(
                "SECRET_CODE = 1",
                outputs=[
                    new_output("stream", name="stdout", text="户主电话 13812345678\n"),
                    new_output("stream", name="stderr", text="DeprecationWarning x\n"),
                ],
            ),
            new_markdown_cell("## 一、收入核查"),
            new_code_cell(
                "df",
                outputs=[
                    new_output(
                        "execute_result",
                        data={
                            "text/html": "<table><tr><td>44188119800101123X</td><td>6222021234567890123</td>"
                            "<td>4418810101001</td><td>441881010112301</td></tr></table>",
                            "text/plain": "44188119800101123X",
                        },
                        execution_count=2,
                    )
                ],
            ),
            new_markdown_cell("### 1.1 三保障问题"),
            new_code_cell("fig", outputs=[new_output("display_data", data={"image/png": _png(), "text/plain": "fig"})]),
            new_code_cell(
                "hidden",
                metadata={"tags": ["remove-cell"]},
                outputs=[new_output("stream", name="stdout", text="不应出现\n")],
            ),
        ]
    )
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_report_hides_code_masks_and_has_toc(notebook, tmp_path):
    out = render_notebook_html(notebook, tmp_path / "r.html", keep_ids={"441881010112301"})
    html = out.read_text(encoding="utf-8")
    assert "SECRET_CODE" not in html  # code hidden
    assert "DeprecationWarning" not in html and "不应出现" not in html
    assert 'lang="zh"' in html
    assert '<nav id="toc"' in html
    for heading in ("英德市 回头看核查报告", "一、收入核查", "1.1 三保障问题"):
        assert heading in html
    toc = html[html.index('<nav id="toc"') : html.index("</nav>")]
    assert toc.count('<a href="#') == 3
    for anchor in __import__("re").findall(r'href="#([^"]+)"', toc):
        assert f'id="{anchor}"' in html
    assert "441881********123X" in html and "138****5678" in html and "***************0123" in html
    assert "4418810101001" in html and "441881010112301" in html  # keys stay readable
    assert find_unmasked_pii(html, allow={"441881010112301"}) == []
    assert "data:image/png;base64," in html


def test_report_is_deterministic(notebook, tmp_path):
    a = render_notebook_html(notebook, tmp_path / "a.html").read_bytes()
    b = render_notebook_html(notebook, tmp_path / "b.html").read_bytes()
    assert a == b


def test_failed_render_keeps_previous_file(tmp_path):
    target = tmp_path / "r.html"
    target.write_text("旧报告", encoding="utf-8")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception):
        render_notebook_html(bad, target)
    assert target.read_text(encoding="utf-8") == "旧报告"
