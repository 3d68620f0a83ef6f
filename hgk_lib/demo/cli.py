"""``hgk demo-data``: write the synthetic export and its ground truth."""

from __future__ import annotations

import time
from pathlib import Path

from .. import schema as S
from ..errors import InputError


def parse_counties(text: str | None) -> list[str]:
    if not text or text.strip().lower() == "all":
        return sorted(S.QINGYUAN_COUNTIES)
    codes = [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]
    bad = [c for c in codes if c not in S.QINGYUAN_COUNTIES]
    if bad:
        raise InputError(f"未知的县代码：{'、'.join(bad)}（可选：{'、'.join(sorted(S.QINGYUAN_COUNTIES))}）")
    return sorted(set(codes))


def run(args) -> int:
    from .generate import generate_demo_export

    year = int(getattr(args, "year", 2019) or 2019)
    if year != 2019:
        raise InputError(f"演示数据目前只支持2019年（收到 {year}）")
    counties = parse_counties(getattr(args, "counties", "all"))
    n = getattr(args, "households", None)
    if n is not None and n < len(counties) * 10:
        raise InputError(f"户数太少：每县至少10户（收到 {n}）")
    out = Path(args.out)
    truth = getattr(args, "truth", None) or str(out.parent / (out.name + "_truth"))
    t0 = time.time()
    info = generate_demo_export(
        out,
        seed=int(getattr(args, "seed", 2019)),
        counties=counties,
        households=n,
        fmt=getattr(args, "format", "mixed") or "mixed",
        truth=truth,
    )
    print(f"已生成演示导出：{info['out']}（{len(counties)}个县，{info['households']}户）")
    print(
        f"真实情况（ground truth）：{info['truth']}（埋入问题 {info['planted']} 条，隔离行 {info['quarantined']} 条）"
    )
    print(f"用时 {time.time() - t0:.1f} 秒（生成 {info['seconds_generate']} 秒，写出 {info['seconds_write']} 秒）")
    return 0
