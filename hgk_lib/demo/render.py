"""Render canonical tables as the provincial system exports them, with the real mess of exports.

Mess never changes meaning: every variant written here is one the contract (export_format.md) says the loader must
accept with the same value. Writers are deterministic: same input -> byte-identical files (fixed xlsx metadata and
zip entry times).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as S

FIXED_TIME = dt.datetime(2019, 10, 8, 9, 30, 0)
FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")

#: how each county's export looks (codes: yes/no pair, date style, mess switches)
PROFILES = {
    "441881": dict(
        yes=("是", "否"),
        date="datetime",
        half=True,
        titles={"member", "household", "income"},
        blank="",
        ids="quote",
        extra={"household": "备注"},
    ),
    "441823": dict(
        yes=("1", "0"),
        date="slash",
        newline=True,
        titles={"measure", "project"},
        blank="无",
        ids="plain",
        amount="thousands",
    ),
    "441882": dict(
        yes=("Y", "N"),
        date="compact",
        titles={"member"},
        blank="/",
        ids="eqwrap",
        amount="yuan",
        extra={"member": "序号"},
    ),
    "441803": dict(
        yes=("√", "×"),
        date="cn",
        space=True,
        titles={"income", "inspection"},
        blank="-",
        ids="lowerx",
        amount="fullwidth",
    ),
    "441821": dict(yes=("是", "否"), date="serial", titles={"household", "police"}, blank="—", ids="plain", codes=True),
    "441802": dict(yes=("是", "否"), date="dot", half=True, titles=set(), blank="NULL", ids="quote", codes=True),
    "441826": dict(
        yes=("是", "否"),
        date="iso",
        titles={"member", "household"},
        blank="",
        ids="plain",
        csv=True,
        encodings={"member": "gb18030", "household": "utf-8-sig"},
        newline=True,
    ),
    "441825": dict(
        yes=("是", "否"),
        date="mixed",
        titles={"member", "household", "measure"},
        blank="无",
        ids="mixed",
        space=True,
        amount="thousands",
        extra={"household": "备注"},
    ),
}


def _header_variant(h: str, prof: dict, rng, i: int) -> str:
    if prof.get("half"):
        h = h.replace("（", "(").replace("）", ")").replace("：", ":")
    if prof.get("newline") and len(h) >= 9 and i % 3 == 0:
        h = h[: len(h) // 2] + "\n" + h[len(h) // 2 :]
    if prof.get("space") and i % 4 == 1:
        h = " " + h + " "
    return h


def _fmt_dates(s: pd.Series, style: str, rng, xlsx: bool) -> np.ndarray:
    d = pd.to_datetime(s, errors="coerce")
    ok = d.notna().to_numpy()
    out = np.full(len(d), None, dtype=object)
    if not ok.any():
        return out
    dd = d[ok]
    styles = {
        "iso": lambda x: x.dt.strftime("%Y-%m-%d"),
        "slash": lambda x: x.dt.year.astype(str) + "/" + x.dt.month.astype(str) + "/" + x.dt.day.astype(str),
        "compact": lambda x: x.dt.strftime("%Y%m%d"),
        "cn": lambda x: x.dt.year.astype(str) + "年" + x.dt.month.astype(str) + "月" + x.dt.day.astype(str) + "日",
        "dot": lambda x: x.dt.strftime("%Y.%m.%d"),
    }
    if style == "mixed":
        keys = list(styles)
        pick = rng.integers(0, len(keys), size=len(dd))
        vals = np.empty(len(dd), dtype=object)
        for j, k in enumerate(keys):
            sel = pick == j
            if sel.any():
                vals[sel] = styles[k](dd[sel]).to_numpy(dtype=object)
        out[ok] = vals
    elif style == "serial":
        serial = ((dd - pd.Timestamp("1899-12-30")).dt.days).to_numpy()
        out[ok] = serial.astype(int).astype(object) if xlsx else serial.astype(str).astype(object)
    elif style == "datetime" and xlsx:
        out[ok] = np.array([x.to_pydatetime() for x in dd], dtype=object)
    else:
        out[ok] = styles.get(style, styles["iso"])(dd).to_numpy(dtype=object)
    return out


def _fmt_amount(v: pd.Series, style: str | None, rng, xlsx: bool, is_int=False) -> np.ndarray:
    x = pd.to_numeric(v, errors="coerce")
    ok = x.notna().to_numpy()
    out = np.full(len(x), None, dtype=object)
    if not ok.any():
        return out
    xv = x[ok].to_numpy(dtype=float)
    if is_int:
        num = np.round(xv).astype(np.int64).astype(object)
        txt = np.round(xv).astype(np.int64).astype(str).astype(object)
    else:
        r = np.round(xv, 2)
        whole = np.abs(r - np.round(r)) < 1e-9
        num = np.where(whole, np.round(r).astype(np.int64).astype(object), r.astype(object))
        txt = np.where(whole, np.round(r).astype(np.int64).astype(str), np.char.mod("%.2f", r)).astype(object)
    vals = num if xlsx else txt
    if style and not is_int:
        sel = rng.random(len(xv)) < 0.08
        if style == "thousands":
            alt = np.array([f"{a:,.2f}" for a in xv[sel]], dtype=object)
        elif style == "yuan":
            alt = (txt[sel].astype(str) + "元").astype(object)
        else:
            alt = np.array([s.translate(FULLWIDTH) for s in txt[sel].astype(str)], dtype=object)
        vals = vals.copy()
        vals[sel] = alt
    out[ok] = vals
    return out


def _code_of(enum: str, labels: np.ndarray) -> np.ndarray:
    if enum in S.NATIONAL_CODES:
        inv = {v: k for k, v in S.NATIONAL_CODES[enum].items()}
    else:
        inv = {lab: str(i) for i, lab in enumerate(S.ENUMS[enum], start=1)}
    return np.array([inv.get(x, x) for x in labels], dtype=object)


def render_table(
    df: pd.DataFrame, table: S.Table, county: str, rng, xlsx: bool, raw: dict | None = None
) -> tuple[list[str], np.ndarray, list[int]]:
    """(headers, values[rows, cols], index labels) for one table of one county."""
    prof = PROFILES[county]
    n = len(df)
    cols, headers = [], []
    raw = raw or {}
    for j, col in enumerate(table.columns):
        if col.key not in df.columns:
            continue
        s = df[col.key]
        kind = col.kind
        if kind == "id":
            v = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
            isstr = np.asarray(pd.notna(v), dtype=bool)
            style = prof.get("ids", "plain")
            u = rng.random(n)
            if style == "mixed":
                style_arr = np.where(
                    u < 0.05, "quote", np.where(u < 0.1, "eqwrap", np.where(u < 0.2, "lowerx", "plain"))
                )
            else:
                style_arr = np.where(u < 0.15, style, "plain")
            out = v.copy()
            q = isstr & (style_arr == "quote")
            out[q] = ["'" + a for a in v[q]]
            e = isstr & (style_arr == "eqwrap")
            out[e] = ['="' + a + '"' for a in v[e]]
            lx = isstr & (style_arr == "lowerx")
            out[lx] = [a.replace("X", "x") for a in v[lx]]
            if "_as_number" in df.columns and col.key == "id_no":
                num = df["_as_number"].fillna(False).to_numpy().astype(bool) & isstr
                if xlsx:
                    out[num] = [int(a) for a in v[num]]
                else:
                    out[num] = v[num]
            if "_quarantine" in df.columns and col.key == "id_no" and xlsx:
                qq = df["_quarantine"].fillna(False).to_numpy().astype(bool)
                out[qq] = [float(int(a[:15]) * 1000) for a in v[qq]]
            vals = out
        elif kind == "code":
            v = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
            vals = v.copy()
            if (prof.get("codes") or col.enum in S.NATIONAL_CODES) and col.enum not in (
                "house_level",
                "disability_category",
                "disability_grade",
            ):
                sel = np.asarray(pd.notna(v), dtype=bool) & (rng.random(n) < (0.06 if prof.get("codes") else 0.01))
                vals[sel] = _code_of(col.enum, v[sel])
        elif kind == "yesno":
            y, no_ = prof["yes"]
            b = s.astype(object)
            vals = np.where(b.eq(True).fillna(False), y, np.where(b.eq(False).fillna(False), no_, None)).astype(object)
            if xlsx and y == "1":
                vals = np.where(vals == "1", 1, np.where(vals == "0", 0, vals)).astype(object)
        elif kind == "date":
            vals = _fmt_dates(s, prof.get("date", "iso"), rng, xlsx)
        elif kind == "int":
            vals = _fmt_amount(s, None, rng, xlsx, is_int=True)
        elif kind == "amount":
            money = table.name == "income" or col.key == "amount"
            vals = _fmt_amount(s, prof.get("amount") if money else None, rng, xlsx)
        elif kind == "multi":
            v = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
            u = rng.random(n)
            vals = np.array(
                [
                    a if a is None or u[i] < 0.6 else a.replace(",", "、" if u[i] < 0.85 else "；")
                    for i, a in enumerate(v)
                ],
                dtype=object,
            )
        else:
            vals = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
        # blanks: the county's blank-like token on optional columns
        blank = np.asarray(pd.isna(vals), dtype=bool)
        tok = prof.get("blank", "")
        if tok and not col.required:
            use = blank & (rng.random(n) < 0.5)
            vals = vals.copy()
            vals[use] = tok
        cols.append(vals)
        headers.append(_header_variant(col.header, prof, rng, j))
    values = np.stack(cols, axis=1) if cols else np.empty((n, 0), dtype=object)
    # raw overrides (unparseable values planted on purpose)
    keys = [c.key for c in table.columns if c.key in df.columns]
    pos = {lab: i for i, lab in enumerate(df.index)}
    for (lab, key), text in (raw or {}).items():
        if lab in pos and key in keys:
            values[pos[lab], keys.index(key)] = text
    extra = prof.get("extra", {}).get(table.name)
    if extra == "序号":
        headers = ["序号"] + headers
        values = np.concatenate([np.arange(1, n + 1).astype(object)[:, None], values], axis=1)
    elif extra:
        headers = headers + [extra]
        values = np.concatenate(
            [values, np.where(rng.random(n) < 0.05, "已核实", None).astype(object)[:, None]], axis=1
        )
    return headers, values, list(df.index)


def title_rows(county: str, table: S.Table, ncols: int) -> list[list]:
    name = S.QINGYUAN_COUNTIES[county]
    return [
        [f"清远市{name}{table.label}"] + [None] * (ncols - 1),
        [f"导出时间：{FIXED_TIME:%Y-%m-%d %H:%M:%S}"] + [None] * (ncols - 1),
    ]


# ---------------------------------------------------------------------------------------------------------------
def write_xlsx(path: Path, top: list[list], headers: list[str], values: np.ndarray, sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for r in top:
        ws.append(r)
    ws.append(headers)
    formula_like = (
        np.vectorize(lambda a: isinstance(a, str) and a.startswith("="), otypes=[bool])(values)
        if values.size
        else np.zeros(values.shape, bool)
    )
    rows_with = set(np.flatnonzero(formula_like.any(axis=1)).tolist()) if values.size else set()
    for i, row in enumerate(values.tolist()):
        if i in rows_with:
            cells = []
            for a in row:
                cell = WriteOnlyCell(ws, value=a)
                if isinstance(a, str) and a.startswith("="):
                    cell.data_type = "s"
                cells.append(cell)
            ws.append(cells)
        else:
            ws.append(row)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "扶贫开发信息系统"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_deterministic_zip(buf.getvalue()))


def _deterministic_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<3>", body
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(2019, 10, 8, 9, 30, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            z.writestr(zi, body)
    return out.getvalue()


def write_csv(path: Path, top: list[list], headers: list[str], values: np.ndarray, encoding: str = "utf-8") -> None:
    df = pd.DataFrame(values, columns=range(len(headers)))
    df = df.astype(object).where(pd.notna(df), "")
    buf = io.StringIO()
    for r in top:
        buf.write(",".join("" if a is None else str(a) for a in r) + "\n")
    pd.DataFrame([headers]).to_csv(buf, header=False, index=False, lineterminator="\n")
    df.to_csv(buf, header=False, index=False, lineterminator="\n")
    path.write_bytes(buf.getvalue().encode(encoding))
