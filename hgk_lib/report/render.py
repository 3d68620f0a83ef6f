"""Render an executed county notebook to the auditors' HTML report.

nbconvert's ``HTMLExporter`` (lab template) with code cells' input and prompts hidden, stderr streams dropped,
cells tagged ``remove-cell`` removed, and a table of contents (``<nav id="toc">``) built from the rendered
headings (h1-h3, so the links use nbconvert's own anchor ids). As a last safety net every ID, phone and bank
number left in the page is masked (:func:`hgk_lib.report.mask.mask_text`); base64 images are not touched.
The file is written atomically; the same notebook gives the same HTML.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Iterable

import nbformat

from ..io.safe import write_text_atomic
from .mask import mask_text

_HEADING_RE = re.compile(r"<h([1-3])\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.S)
_TAG_RE = re.compile(r"<[^>]+>")
TOC_STYLE = (
    "<style>#toc{border:1px solid #ddd;background:#fafafa;padding:.6em 1.2em;margin:1em auto;"
    "max-width:1100px;font-size:14px}#toc ul{margin:.2em 0;padding-left:1.2em}#toc li{list-style:none}"
    "#toc .toc-h2{padding-left:1em}#toc .toc-h3{padding-left:2em}</style>"
)


def _clean_notebook(nb):
    """Drop stderr streams (warnings are for developers, not auditors)."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            cell["outputs"] = [
                o for o in cell["outputs"] if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


def build_toc(body: str) -> str:
    """``<nav id="toc">`` listing the page's h1-h3 headings that carry an id."""
    items = []
    for level, anchor, inner in _HEADING_RE.findall(body):
        text = _TAG_RE.sub("", inner).replace("¶", "").strip()
        if not text:
            continue
        items.append(
            f'<li class="toc-h{level}"><a href="#{anchor}">{html_lib.escape(html_lib.unescape(text))}</a></li>'
        )
    if not items:
        return ""
    return TOC_STYLE + '<nav id="toc" aria-label="目录"><strong>目录</strong><ul>' + "".join(items) + "</ul></nav>"


def inject_toc(body: str) -> str:
    toc = build_toc(body)
    if not toc:
        return body
    m = re.search(r"<main\b[^>]*>", body) or re.search(r"<body\b[^>]*>", body)
    if m is None:
        return toc + body
    return body[: m.end()] + toc + body[m.end() :]


def notebook_to_html(nb) -> str:
    """The report HTML of a notebook node (code hidden, with TOC), before masking."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.template_name = "lab"
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    c.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    exporter = HTMLExporter(config=c)
    if hasattr(exporter, "language_code"):
        exporter.language_code = "zh"
    body, _ = exporter.from_notebook_node(_clean_notebook(nb))
    return inject_toc(body)


def render_notebook_html(ipynb, html, *, keep_ids: Iterable[str] = ()) -> Path:
    """Render ``ipynb`` to ``html`` for auditors. ``keep_ids``: household/person ids that look like old 15-digit
    IDs but are keys (left unmasked)."""
    nb = nbformat.read(str(ipynb), as_version=4)
    text = mask_text(notebook_to_html(nb), keep=keep_ids)
    write_text_atomic(html, text)
    return Path(html)
