"""Masking of personal numbers (ID card, 残疾证, mobile phone, bank account) for everything but the ledger.

Two layers:

* by column: :func:`mask_frame` masks the PII columns named in :data:`hgk_lib.schema.PII_COLUMNS`
  (``id_no``, ``head_id``, ``disability_no``, ``phone``, ``helper_phone``, ``bank_account``) whatever their shape;
* by pattern: every other string cell (messages, recorded values, reasons) and any free text (HTML, logs, JSON)
  goes through :func:`mask_text`, which finds numbers shaped like a personal number.

Masked forms: ID ``441881********123X`` (first 6 and last 4 of the 18/15-character body; a 残疾证号 keeps its
category/grade suffix), mobile ``138****5678``, bank ``***************1234`` (last 4 kept).

What the text patterns treat as personal numbers (a number is a maximal run not touching a letter or digit):

* 18 characters ``\\d{17}[0-9X]`` — an ID (ID-style mask when the birth date is plausible, otherwise bank-style),
  also written 6-8-4 with spaces or hyphens;
* 20 or 22 characters whose first 18 are an ID body — a 残疾证号;
* 15 digits with a plausible province code and YYMMDD — an old ID;
* 16 to 19 digits (also written in groups of four) — a bank account;
* ``1[3-9]`` + 9 digits, optionally after ``+86``/``86``/``0086``, also ``138 1234 5678`` — a mobile number.

Keys are not personal numbers, but household/person ids (the demo's are 16 and 18 digits: county code + township +
village + sequence (+ member number)) have the shapes of bank and ID numbers. They are recognised (a) when the
caller passes them in ``keep``/``allow`` (see :func:`key_ids`), (b) by context: a number right after
户编号/人编号/项目编号 is a key, and so is a cell of an HTML table column headed 户编号/人编号/项目编号 (or
hh_id/person_id/project_id; :func:`table_key_ids`), (c) by column in :func:`mask_frame`. Anywhere else such a
number is masked: privacy first.

Never matched: dates (``20190901``), money (``12345.67``, a run touching a decimal point), 13-digit household
ids (``4418810101001``), SHA-256 hex digests (runs touching letters), base64 images (skipped wholesale).
"""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

from ..schema import PII_COLUMNS, TABLES
from .display import style_for_report

#: Column keys holding personal numbers (any table).
PII_KEYS = frozenset(key for _, key in PII_COLUMNS)
#: Columns that are keys, never personal numbers: not scanned by :func:`mask_frame`.
KEY_COLUMNS = frozenset({"hh_id", "person_id", "project_id", "source_row", "year", "_row", "row"})

_PROV = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]|91)"
_MMDD = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18_PLAUSIBLE = re.compile(_PROV + r"\d{4}(?:18|19|20)\d{2}" + _MMDD + r"\d{3}[\dX]\Z")
_B = r"(?<![0-9A-Za-z*])(?<!\d\.)"  # start: not inside a longer token, not the decimals of a number
_E = r"(?![0-9A-Za-z*])(?!\.\d)"  # end: not followed by more of a token, nor by decimals

_PII_RE = re.compile(
    _B + r"(?:"
    r"(?P<dis>\d{17}[\dXx](?:\d{4}|\d{2}))"
    r"|(?P<id18>\d{17}[\dXx])"
    r"|(?P<id18g>\d{6}[ -]\d{8}[ -]\d{3}[\dXx])"
    r"|(?P<bank>\d{16,19})"
    r"|(?P<bankg>\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?)"
    r"|(?P<id15>" + _PROV + r"\d{4}\d{2}" + _MMDD + r"\d{3})"
    r"|(?P<mobile>(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4}))"
    r")" + _E
)
# Long base64 runs (inline images in HTML / ipynb, also wrapped at 76 characters) are never scanned nor rewritten;
# a personal number cannot hide inside one (it would touch letters or digits on both sides).
_BASE64_RE = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+|[A-Za-z0-9+/=]{60,}")
_DIGITS = re.compile(r"\d")


def _plain(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value).strip()


def mask_id(value) -> str | None:
    """``441881198001011234`` -> ``441881********1234``; 15-digit IDs keep 6+4 too; a 20/22-character 残疾证号
    masks its 18-character body and keeps the category/grade suffix. Blank stays blank (None)."""
    s = _plain(value)
    if s is None or s == "":
        return s
    if len(s) in (20, 22) and s[:17].isdigit():
        body, suffix = s[:18], s[18:]
    else:
        body, suffix = s, ""
    if len(body) <= 10:
        return "*" * len(body) + suffix if len(body) > 4 else body + suffix
    return body[:6] + "*" * (len(body) - 10) + body[-4:] + suffix


def mask_phone(value) -> str | None:
    """``13812345678`` -> ``138****5678``; other numbers keep their last 4 digits (separators kept)."""
    s = _plain(value)
    if s is None or s == "":
        return s
    digits = re.sub(r"\D", "", s)
    if len(digits) >= 11 and re.fullmatch(r"(?:0086|86)?1[3-9]\d{9}", digits):
        d = digits[-11:]
        return d[:3] + "****" + d[-4:]
    return _keep_last_digits(s, 4)


def mask_bank(value) -> str | None:
    """Keep the last 4 digits, every other digit becomes ``*`` (separators kept)."""
    s = _plain(value)
    if s is None or s == "":
        return s
    return _keep_last_digits(s, 4)


def _keep_last_digits(s: str, keep: int) -> str:
    n = sum(ch.isdigit() or ch in "Xx" for ch in s)
    if n <= keep:
        return "*" * len(s) if n else s
    out, seen = [], 0
    for ch in s:
        if ch.isdigit() or ch in "Xx":
            seen += 1
            out.append(ch if seen > n - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


#: A number right after one of these labels is a key (户编号 4418810100100001), never a personal number.
_KEY_LABEL = re.compile(r"(?:户编号|人编号|人口编号|户码|项目编号|成员编号)[\s：:=＝“\"']{0,3}\Z")


def _is_key(m: re.Match, keep: frozenset) -> bool:
    text = m.group(0)
    return text in keep or _KEY_LABEL.search(m.string, max(0, m.start() - 10), m.start()) is not None


def key_ids(*frames) -> set[str]:
    """Household, person and project ids found in ``frames`` (columns hh_id/person_id/project_id or their
    Chinese headers): the ``keep``/``allow`` set for :func:`mask_text` and :func:`find_unmasked_pii`."""
    out: set[str] = set()
    for df in frames:
        if df is None:
            continue
        for col in ("hh_id", "person_id", "project_id", "户编号", "人编号", "项目编号"):
            if col in getattr(df, "columns", ()):
                s = df[col].dropna().astype(str).str.strip()
                out.update(s[s != ""].tolist())
    return out


_KEY_HEADERS = {"户编号", "人编号", "人口编号", "户码", "项目编号", "成员编号", "hh_id", "person_id", "project_id"}
_TABLE_RE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S | re.I)
_CELL_RE = re.compile(r"<t([hd])\b[^>]*>(.*?)</t[hd]>", re.S | re.I)
_INNER_TAG = re.compile(r"<[^>]+>")
_KEYLIKE = re.compile(r"\d{10,22}")


def table_key_ids(text: str) -> set[str]:
    """Values of HTML table columns headed 户编号/人编号/项目编号 (or hh_id/person_id/project_id): keys, not
    personal numbers, so a rendered DataFrame keeps its household ids readable."""
    if "<table" not in text.lower() or not any(h in text for h in _KEY_HEADERS):
        return set()
    out: set[str] = set()
    for table in _TABLE_RE.findall(text):
        key_pos: set[int] = set()
        for row in _ROW_RE.findall(table):
            cells = [_INNER_TAG.sub("", c).strip() for _, c in _CELL_RE.findall(row)]
            hits = {i for i, c in enumerate(cells) if c in _KEY_HEADERS}
            if hits:
                key_pos = hits
                continue
            for i in key_pos:
                if i < len(cells) and _KEYLIKE.fullmatch(cells[i]):
                    out.add(cells[i])
    return out


def _with_table_keys(keep, text: str) -> frozenset:
    keep = keep if isinstance(keep, frozenset) else frozenset(keep)  # no copy per call for a large key set
    extra = table_key_ids(text)
    return keep | extra if extra else keep


def _replace(m: re.Match, keep: frozenset) -> str:
    text = m.group(0)
    if _is_key(m, keep):
        return text
    kind = m.lastgroup
    if kind == "dis":
        return mask_id(text.upper())
    if kind == "id18":
        up = text.upper()
        return mask_id(up) if (_ID18_PLAUSIBLE.match(up) or up.endswith("X")) else mask_bank(up)
    if kind == "id15":
        return mask_id(text)
    if kind == "id18g":
        return mask_id(re.sub(r"[ -]", "", text).upper())
    if kind in ("bank", "bankg"):
        return mask_bank(text)
    return mask_phone(text)


def _looks_base64(run: str) -> bool:
    """A long run is encoded binary (not joined numbers like ``138.../139...``) when it mixes both letter cases and
    is not mostly digits."""
    if run.startswith("data:"):
        return True
    digits = sum(ch.isdigit() for ch in run)
    return digits * 2 < len(run) and re.search(r"[a-z]", run) is not None and re.search(r"[A-Z]", run) is not None


def _segments(text: str):
    """Yield (is_base64, chunk) pieces of ``text``."""
    pos = 0
    for m in _BASE64_RE.finditer(text):
        if not _looks_base64(m.group(0)):
            continue
        if m.start() > pos:
            yield False, text[pos : m.start()]
        yield True, m.group(0)
        pos = m.end()
    if pos < len(text):
        yield False, text[pos:]


def mask_text(text, keep: Iterable[str] = ()) -> str:
    """Mask every personal number found in free text. ``keep``: tokens known not to be personal (e.g. the run's
    15-digit person ids) left as they are. Base64 images are left untouched. Non-strings are returned as is."""
    if not isinstance(text, str) or not _DIGITS.search(text):
        return text
    keep = _with_table_keys(keep, text)
    return "".join(chunk if b64 else _PII_RE.sub(lambda m: _replace(m, keep), chunk) for b64, chunk in _segments(text))


def find_unmasked_pii(text: str, allow: Iterable[str] = ()) -> list[str]:
    """Every unmasked personal number in ``text`` (rendered HTML, ipynb JSON, logs ...): what :func:`mask_text`
    would mask. ``allow``: known non-personal tokens (household/person ids) to ignore."""
    if not isinstance(text, str):
        return []
    allow = _with_table_keys(allow, text)
    found = []
    for b64, chunk in _segments(text):
        if not b64:
            found += [m.group(0) for m in _PII_RE.finditer(chunk) if not _is_key(m, allow)]
    return found


_COLUMN_MASKERS = {
    "id_no": mask_id,
    "head_id": mask_id,
    "disability_no": mask_id,
    "phone": mask_phone,
    "helper_phone": mask_phone,
    "bank_account": mask_bank,
}
# the same columns under their Chinese export headers (a frame already renamed for display)
_COLUMN_MASKERS.update(
    {c.header: _COLUMN_MASKERS[c.key] for t in TABLES.values() for c in t.columns if c.pii and c.key in _COLUMN_MASKERS}
)
_KEY_COLUMN_NAMES = KEY_COLUMNS | {"户编号", "人编号", "人口编号", "项目编号", "来源行号", "行号", "年度", "问题编号"}


def mask_frame(df: pd.DataFrame, keep: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``df`` with PII columns masked by key or Chinese header (also ``__raw`` companions) and every
    other string cell masked by pattern. Key columns (``hh_id``/``person_id``/``project_id`` or 户编号/人编号/项目编号
    ...) are left alone."""
    out = df.copy()
    keep = frozenset(keep) | key_ids(df)  # the frame's own household/person/project ids stay readable in text
    for col in out.columns:
        name = str(col)
        base = name[:-5] if name.endswith("__raw") else name
        s = out[col]
        if base in _COLUMN_MASKERS:
            fn = _COLUMN_MASKERS[base]
            out[col] = s.astype(object).map(lambda v: v if _plain(v) in (None, "") else fn(v))
        elif base in _KEY_COLUMN_NAMES:
            continue
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            obj = s.astype(object)
            has = obj.map(lambda v: isinstance(v, str)).astype(bool)
            if has.any():
                vals = obj[has].astype(str)
                hit = vals.str.contains(r"\d{11}|\d[ -]\d{4}", regex=True)  # cheap pre-filter
                if hit.any():
                    obj = obj.copy()
                    obj.loc[vals.index[hit.to_numpy()]] = vals[hit].map(lambda v: mask_text(v, keep))
                    out[col] = obj
    return out


def show_table(df: pd.DataFrame, keep: Iterable[str] = ()):
    """What a notebook displays for an auditor: the frame masked (:func:`mask_frame`), numbers, shares, money and
    yes/no formatted for reading (:mod:`hgk_lib.report.display`), without pandas' row index."""
    return style_for_report(mask_frame(df, keep))
