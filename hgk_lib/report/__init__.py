"""What the city gets back (outputs.md): the county ledger workbook, summary.json, the HTML report, charts and the
city roll-up. Knows nothing of how a finding was computed; reads only the column contracts of the loader, the
rule engine and the audit. See docs/outputs.md.

* :mod:`.ledger`   — 回头看台账 writer (:func:`write_county_ledger`) and 整改状态 read-back (:func:`read_ledger_status`)
* :mod:`.summary`  — summary.json counts (:func:`build_county_summary`, :func:`write_json_atomic`)
* :mod:`.provenance` — versions, hashes, seed, run time (:func:`collect_provenance`)
* :mod:`.mask`     — masking of ID/phone/bank numbers and the PII scanner
* :mod:`.plots`    — charts with a Chinese font (:func:`use_chinese_font`)
* :mod:`.render`   — executed notebook -> auditors' HTML (:func:`render_notebook_html`)
* :mod:`.city`     — city roll-up (:func:`collect_county_results`, :func:`write_city_workbook`)
* :mod:`.xlsx`     — shared workbook writing (formula-safe, deterministic, atomic)
"""

from .mask import find_unmasked_pii, key_ids, mask_bank, mask_frame, mask_id, mask_phone, mask_text
from .provenance import collect_provenance
from .summary import build_county_summary, strip_volatile, write_json_atomic

__all__ = [
    "build_county_summary",
    "collect_county_results",
    "collect_provenance",
    "find_unmasked_pii",
    "key_ids",
    "mask_bank",
    "mask_frame",
    "mask_id",
    "mask_phone",
    "mask_text",
    "read_ledger_status",
    "render_notebook_html",
    "strip_volatile",
    "write_city_workbook",
    "write_county_ledger",
    "write_json_atomic",
]


def __getattr__(name):  # heavier modules (openpyxl, nbconvert) load on first use
    if name in ("write_county_ledger", "read_ledger_status"):
        from . import ledger

        return getattr(ledger, name)
    if name in ("collect_county_results", "write_city_workbook"):
        from . import city

        return getattr(city, name)
    if name == "render_notebook_html":
        from .render import render_notebook_html

        return render_notebook_html
    raise AttributeError(name)
