"""Compare two city runs' outputs file by file: ledgers, reports, the draw, the evaluation, the city summary.

    python bench/compare_runs.py BEFORE_OUT AFTER_OUT [--year 2019]

Used for issue 10 ("every existing behaviour and output stays as it is"): run ``make audit``-style steps once with
the code before the change and once after, on the same demo export, then compare. Allowed differences, reported
but not counted as changes:

* run times (ISO timestamps, ``YYYY-MM-DD HH:MM`` 生成时间) anywhere, and the output roots' own paths;
* item 6: 规则运行情况 loses 用时（秒）; ``_provenance`` loses ``run_time_utc``;
* 问题清单's 问题编号 values (now the campaign item id; the count and uniqueness are checked);
* files that exist only after (the saved results' parquet and manifests, run.json timings) are listed.

Workbooks are compared cell by cell (openpyxl values); HTML by its visible text and its embedded images' bytes.
Exit code 0 when nothing else differs.
"""

from __future__ import annotations

import argparse
import hashlib
import html as htmlmod
import re
import sys
from pathlib import Path

ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")
RUN_TIME_ITEMS = {"运行时间（UTC）", "汇总时间（UTC）"}
ITEM6_COLUMNS = {("规则运行情况", "用时（秒）")}
ITEM_ID_COLUMNS = {("问题清单", "问题编号")}


def norm(v, roots):
    if isinstance(v, str):
        for r in roots:
            v = v.replace(str(r), "<OUT>")
        v = ISO.sub("<TIME>", v)
    return v


def sheets(path: Path, roots) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [[norm(v, roots) for v in r] for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def compare_workbook(a: Path, b: Path, roots) -> tuple[list[str], list[str]]:
    """(unexpected differences, allowed differences)."""
    sa, sb = sheets(a, roots), sheets(b, roots)
    bad, allowed = [], []
    if list(sa) != list(sb):
        bad.append(f"工作表不同：{list(sa)} / {list(sb)}")
    for name in [s for s in sa if s in sb]:
        ra, rb = sa[name], sb[name]
        ha, hb = (list(ra[0]) if ra else []), (list(rb[0]) if rb else [])
        dropped = [h for h in ha if h not in hb]
        for h in dropped:
            if (name, h) in ITEM6_COLUMNS:
                allowed.append(f"{name}: 列“{h}”已移除（第6项）")
            else:
                bad.append(f"{name}: 列“{h}”不见了")
        added = [h for h in hb if h not in ha]
        if added:
            bad.append(f"{name}: 新增列 {added}")
        keep = [h for h in ha if h in hb]
        ia, ib = [ha.index(h) for h in keep], [hb.index(h) for h in keep]
        if name == "_provenance":
            da = {r[0]: r[1:] for r in ra if r}
            db = {r[0]: r[1:] for r in rb if r}
            gone = sorted(set(da) - set(db))
            for k in gone:
                (allowed if k == "run_time_utc" else bad).append(f"_provenance: 键 {k} 已移除")
            for k in sorted(set(da) & set(db)):
                if da[k] != db[k]:
                    bad.append(f"_provenance: {k}: {da[k]!r} / {db[k]!r}")
            if sorted(set(db) - set(da)):
                bad.append(f"_provenance: 新增键 {sorted(set(db) - set(da))}")
            continue
        if len(ra) != len(rb):
            bad.append(f"{name}: 行数 {len(ra)} / {len(rb)}")
            continue
        id_cols = [j for j, h in enumerate(keep) if (name, h) in ITEM_ID_COLUMNS]
        n_diff = 0
        for i, (x, y) in enumerate(zip(ra, rb)):
            xa = [x[j] if j < len(x) else None for j in ia]
            yb = [y[j] if j < len(y) else None for j in ib]
            for j in id_cols:
                xa[j] = yb[j] = "<ID>" if i else xa[j]
            if xa != yb:
                label = x[1] if name == "说明" and len(x) > 1 else None
                if label in RUN_TIME_ITEMS:
                    continue
                n_diff += 1
                if n_diff <= 3:
                    cells = [(keep[j], p, q) for j, (p, q) in enumerate(zip(xa, yb)) if p != q]
                    bad.append(f"{name}!行{i + 1}: {cells[:3]}")
        if n_diff > 3:
            bad.append(f"{name}: 共 {n_diff} 行不同")
        for j in id_cols:
            col = [r[ib[j]] for r in rb[1:]]
            allowed.append(f"{name}: 问题编号为事项编号（{len(col)} 条，唯一：{len(set(col)) == len(col)}）")
    return bad, allowed


TAG = re.compile(r"<[^>]+>")
IMG = re.compile(r"data:image/[a-z+]+;base64,([A-Za-z0-9+/=]+)")
STYLE = re.compile(r"<(style|script)[^>]*>.*?</\1>", re.S)


def html_parts(path: Path, roots) -> tuple[list[str], list[str]]:
    text = path.read_text(encoding="utf-8")
    images = [hashlib.sha256(m.encode()).hexdigest()[:12] for m in IMG.findall(text)]
    visible = htmlmod.unescape(TAG.sub("\n", STYLE.sub("", IMG.sub("", text))))
    lines = [norm(ln.strip(), roots) for ln in visible.splitlines() if ln.strip()]
    lines = [re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<TIME>", ln) for ln in lines]
    return lines, images


def compare_html(a: Path, b: Path, roots) -> tuple[list[str], list[str]]:
    la, ia = html_parts(a, roots)
    lb, ib = html_parts(b, roots)
    bad = []
    if la != lb:
        import difflib

        diff = [
            d for d in difflib.unified_diff(la, lb, lineterm="", n=0) if d[:1] in "+-" and d[:3] not in ("+++", "---")
        ]
        bad.append(f"文本不同（{len(diff)} 行）：{diff[:6]}")
    if ia != ib:
        bad.append(f"图片不同：{sum(x != y for x, y in zip(ia, ib)) + abs(len(ia) - len(ib))} 张")
    return bad, []


def files(root: Path, year: int) -> set[str]:
    base = root / str(year)
    return {
        str(p.relative_to(root))
        for p in base.rglob("*")
        if p.is_file() and p.suffix in (".xlsx", ".html") and not p.name.startswith(".") and "备份" not in p.parts
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--year", type=int, default=2019)
    args = ap.parse_args(argv)
    roots = (args.before.resolve(), args.after.resolve(), args.before, args.after)
    fa, fb = files(args.before, args.year), files(args.after, args.year)
    changed = 0
    for rel in sorted(fa | fb):
        if rel not in fb or rel not in fa:
            print(f"[只在{'之前' if rel in fa else '之后'}] {rel}")
            changed += 1
            continue
        cmp = compare_workbook if rel.endswith(".xlsx") else compare_html
        bad, allowed = cmp(args.before / rel, args.after / rel, roots)
        status = "相同" if not bad else "不同"
        print(f"[{status}] {rel}" + ("" if not allowed else f"（允许的差异：{'；'.join(allowed)}）"))
        for b in bad:
            print(f"    {b}")
        changed += bool(bad)
    print(f"\n共比较 {len(fa | fb)} 个文件，意外差异 {changed} 个")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
