"""Benchmark the export loader: raw xlsx readers (cells/s) and a whole ``load_county``.

Standalone: ``.venv/bin/python bench/bench_load.py [--rows 50000] [--keep DIR] [--skip-openpyxl]``.
Generates (openpyxl write_only) a county whose member sheet has ``--rows`` people with realistic cell types
(text IDs, numeric months, yes/no text, dates as text and as date cells, a few messy values), then times:

* python-calamine direct API (``CalamineWorkbook.from_path(...).get_sheet_by_name(...).to_python()``),
* pandas ``read_excel(engine="calamine")``,
* openpyxl ``load_workbook(read_only=True, data_only=True)`` + ``iter_rows(values_only=True)``,
* the xlsx safety scan (:func:`hgk_lib.io.guard.check_xlsx`) on its own,
* ``hgk_lib.io.load_county`` on the whole folder (scan + read + parse of all five tables).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from hgk_lib.io import load_county  # noqa: E402
from hgk_lib.io.guard import check_xlsx  # noqa: E402

MEMBER_HEAD = [
    "户编号",
    "人编号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "与户主关系",
    "民族",
    "文化程度",
    "在校生状况",
    "义务教育阶段未上学原因",
    "健康状况",
    "残疾证号",
    "劳动技能",
    "务工状况",
    "务工时间（月）",
    "公益性岗位",
    "公益性岗位（月数）",
    "是否参加城乡居民基本医疗保险",
    "是否参加城镇职工基本医疗保险",
    "是否参加大病保险",
    "是否参加城乡居民基本养老保险",
    "是否领取养老金",
    "是否享受低保",
    "是否特困供养人员",
    "是否现役军人",
    "人员状态",
    "变更原因",
    "变更日期",
    "联系电话",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
RELATIONS = ["户主", "配偶", "之子", "之女", "之孙子", "之孙女", "之父", "之母"]


def _id(rng: random.Random, born: dt.date) -> str:
    body = f"4418{rng.choice(['02', '03', '21', '23', '25', '26', '81', '82'])}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def make_county(folder: Path, rows: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(["清远市英德市贫困人口信息"])
    ws.append(["导出时间：2019-12-01"])
    ws.append(MEMBER_HEAD)
    hh_rows = []
    for i in range(rows):
        hh = f"44188100{i // 3:06d}"
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 32000))
        rel = "户主" if i % 3 == 0 else rng.choice(RELATIONS[1:])
        birth = born if rng.random() < 0.5 else born.strftime(rng.choice(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]))
        months = rng.choice([0, 3, 6, 10, 12, "6", "１０", None])
        ws.append(
            [
                hh,
                f"P{i:07d}",
                rng.choice(SURNAMES) + rng.choice(SURNAMES),
                "居民身份证",
                _id(rng, born),
                rng.choice(["男", "女", "1", "2"]),
                birth,
                rel,
                "汉族",
                rng.choice(["小学", "初中", "高中", "3"]),
                "非在校生",
                None,
                rng.choice(["健康", "健康", "长期慢性病", "残疾,长期慢性病"]),
                None,
                rng.choice(["普通劳动力", "弱劳动力或半劳动力", "无劳动力", "01"]),
                rng.choice(["省外务工", "未务工"]),
                months,
                None,
                None,
                rng.choice(["是", "是", "1", "√", "否"]),
                "否",
                "是",
                "是",
                "否",
                rng.choice(["否", "是"]),
                "否",
                "否",
                "正常",
                None,
                None,
                f"138{rng.randint(0, 99999999):08d}",
            ]
        )
        if i % 3 == 0:
            hh_rows.append(
                [
                    hh,
                    "英德市",
                    "英城街道",
                    "城南村",
                    "户主",
                    _id(rng, born),
                    3,
                    "一般脱贫户",
                    "因病",
                    2016,
                    "已脱贫（享受政策）",
                    2018,
                ]
            )
    wb.save(folder / "贫困人口信息.xlsx")

    def small(name, head, body):
        w = openpyxl.Workbook(write_only=True)
        s = w.create_sheet("Sheet1")
        s.append(head)
        for r in body:
            s.append(r)
        w.save(folder / f"{name}.xlsx")

    small(
        "贫困户信息",
        [
            "户编号",
            "县（市、区）",
            "乡（镇）",
            "行政村",
            "户主姓名",
            "户主证件号码",
            "家庭人口数",
            "贫困户属性",
            "主要致贫原因",
            "首次识别年度",
            "脱贫状态",
            "脱贫年度",
        ],
        hh_rows,
    )
    small(
        "收入信息",
        ["户编号", "年度", "工资性收入", "生产经营性收入", "生产经营性支出", "财产性收入", "转移性收入"],
        [
            [r[0], y, rng.randint(0, 40000), rng.randint(0, 5000), rng.randint(0, 1000), 0, rng.randint(0, 9000)]
            for r in hh_rows
            for y in (2016, 2017, 2018, 2019)
        ],
    )
    small(
        "帮扶措施",
        ["户编号", "年度", "措施类别", "投入金额（元）", "开始日期"],
        [[r[0], 2019, "产业帮扶", 2000, "2019-03-01"] for r in hh_rows],
    )
    small(
        "项目库",
        ["项目编号", "项目名称", "项目类别", "是否到户到人项目", "年度"],
        [[f"XM{i:05d}", "产业奖补", "产业发展", "是", 2019] for i in range(50)],
    )
    return folder


def _time(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30_000, help="member rows (default 30000, a large county)")
    ap.add_argument("--keep", default=None, help="write the generated county here and keep it")
    ap.add_argument("--skip-openpyxl", action="store_true", help="skip the slow openpyxl reader")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args(argv)

    base = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="hgk_bench_"))
    folder = base / "441881_英德市"
    t0 = time.perf_counter()
    if not (folder / "贫困人口信息.xlsx").exists():
        make_county(folder, a.rows)
    print(f"生成测试数据：{folder}（{time.perf_counter() - t0:.1f} 秒）")
    member = folder / "贫困人口信息.xlsx"
    cells = (a.rows + 3) * len(MEMBER_HEAD)
    print(
        f"贫困人口信息.xlsx：{a.rows} 行 × {len(MEMBER_HEAD)} 列 = {cells:,} 个单元格，{member.stat().st_size / 2**20:.1f} MiB"
    )

    import pandas as pd
    import python_calamine as pc

    results = []

    def calamine_direct():
        return pc.CalamineWorkbook.from_path(str(member)).get_sheet_by_name("Sheet1").to_python(skip_empty_area=False)

    results.append(("python-calamine 直接API（保留单元格类型）", *_time(calamine_direct, a.repeat)))
    results.append(
        (
            "pandas read_excel(engine='calamine')",
            *_time(lambda: pd.read_excel(member, engine="calamine", header=None, dtype=object), a.repeat),
        )
    )
    if not a.skip_openpyxl:

        def openpyxl_ro():
            wb = openpyxl.load_workbook(member, read_only=True, data_only=True)
            rows = list(wb["Sheet1"].iter_rows(values_only=True))
            wb.close()
            return rows

        results.append(("openpyxl read_only", *_time(openpyxl_ro, 1)))
    data = member.read_bytes()
    results.append(("安全检查 check_xlsx（解压扫描）", *_time(lambda: check_xlsx(data, member.name), a.repeat)))

    print(f"\n{'读取方式':<44}{'秒':>8}{'单元格/秒':>14}")
    for name, sec, _ in results:
        print(f"{name:<44}{sec:>8.2f}{cells / sec:>14,.0f}")

    sec, d = _time(lambda: load_county(folder, year=2019), a.repeat)
    total_rows = int(d.ledger["rows_read"].sum())
    print(
        f"\nload_county 全县（5张表，共 {total_rows:,} 行，隔离 {len(d.quarantine)} 条）：{sec:.2f} 秒"
        f"（{total_rows / sec:,.0f} 行/秒）"
    )
    print(d.ledger.to_string(index=False))
    if not a.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
