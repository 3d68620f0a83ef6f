"""Command line: ``hgk <command>``. Each command lives in its own module; this file only wires arguments.

Errors meant for inspectors (:class:`hgk_lib.errors.HgkError`) are printed in Chinese without a traceback and
exit with code 2. Set ``HGK_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import argparse
import os
import sys


def _add_data_args(p, out_required=True):
    p.add_argument("--data", required=True, help="导出数据根目录（每县一个子目录），如 data/raw/2019")
    p.add_argument("--year", type=int, required=True, help="核查年度，如 2019")
    p.add_argument("--out", required=out_required, help="输出目录")
    p.add_argument("--params", default=None, help="参数文件（默认 params/<year>.yaml）")


def _add_campaign_args(p):
    p.add_argument("--as-of", default=None, help="按哪一天计算逾期与阶段（默认今天），如 2019-10-15")
    p.add_argument(
        "--allow-older", action="store_true", help="允许核查比上次更早的导出（默认拒绝，整改记录不按较早的导出更新）"
    )


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hgk", description="回头看核查工具 (hgk)")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo-data", help="生成演示导出数据（清远市8县）")
    p.add_argument("--out", required=True)
    p.add_argument("--counties", default="all", help="all 或逗号分隔的县代码，如 441881,441882")
    p.add_argument("--households", type=int, default=None, help="全市户数（默认约15000）")
    p.add_argument("--seed", type=int, default=2019)
    p.add_argument("--year", type=int, default=2019)
    p.add_argument(
        "--format",
        choices=["mixed", "xlsx", "csv"],
        default="mixed",
        help="mixed=真实导出的混合格式（默认）；csv 用于省级规模基准",
    )
    p.add_argument("--truth", default=None, help="真实情况（ground truth）输出目录（默认 <out>_truth；核查从不读取）")

    p = sub.add_parser("load", help="读取导出数据，写出规范化表、隔离数据与行数台账")
    _add_data_args(p)
    p.add_argument("--county", action="append", default=None, help="只处理这些县目录（可重复）")

    p = sub.add_parser("check", help="读取并运行95项规则与收入/三保障核查，写出 processed 数据")
    _add_data_args(p)
    p.add_argument("--county", action="append", default=None)
    _add_campaign_args(p)

    p = sub.add_parser("audit", help="按县运行核查笔记本（papermill），再生成全市汇总")
    _add_data_args(p)
    p.add_argument("--county", action="append", default=None, help="只运行这些县目录（可重复）")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--scheduler", default=None, help="Dask 调度器地址，如 tcp://host:8786")
    p.add_argument("--resume", action="store_true", help="只重跑失败或缺失的县")
    p.add_argument("--timeout", type=int, default=3600, help="每县超时（秒）")
    p.add_argument("--no-spot-check", action="store_true", help="不生成抽查名单")
    p.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="每个县用新的笔记本进程和内核（较慢；默认各工作进程在县之间保留并重置内核）",
    )
    _add_campaign_args(p)

    sc = sub.add_parser("spot-check", help="抽查：draw 抽样 / evaluate 评估")
    scs = sc.add_subparsers(dest="spot_command", required=True)
    p = scs.add_parser("draw", help="风险引导的分层抽样，写出 抽查名单_<year>.xlsx")
    _add_data_args(p)
    p.add_argument("--n", type=int, default=None, help="每县样本量（默认参数文件 spot_check.n）")
    p.add_argument("--seed", type=int, default=None)
    p = scs.add_parser("evaluate", help="读回已填写的抽查名单，估计问题比例与置信区间")
    p.add_argument("--results", required=True, help="已填写的 抽查名单_<year>.xlsx")
    p.add_argument("--out", required=True)
    p.add_argument("--as-of", default=None, help="评估日期（默认今天）：市抽查问题的整改时限从此日起算")

    p = sub.add_parser("collect", help="读回各县已填写的台账与入户核查计划，更新整改记录 campaign.sqlite")
    p.add_argument("--year", type=int, required=True, help="核查年度，如 2019")
    p.add_argument("--out", required=True, help="输出目录（读取 <out>/<year>/<县目录>/）")
    p.add_argument("--county", action="append", default=None, help="只读这些县目录（可重复）")
    p.add_argument("--as-of", default=None, help="按哪一天计算（默认今天），如 2019-10-15")

    p = sub.add_parser(
        "demo-campaign", help="演示整改全过程：模拟各县填写台账与入户核查计划，并生成部分问题已整改的较新导出"
    )
    p.add_argument("--data", required=True, help="首次核查的演示导出，如 data/raw/2019（真实情况在 <data>_truth）")
    p.add_argument("--out", required=True, help="输出目录（填写 <out>/<year>/<县目录>/ 中的台账与入户核查计划）")
    p.add_argument("--year", type=int, default=2019)
    p.add_argument("--later", required=True, help="较新的导出写到这里，如 data/raw/2019-10-25")
    p.add_argument("--truth", default=None, help="首次导出的真实情况目录（默认 <data>_truth）")
    p.add_argument("--seed", type=int, default=2019, help="与 hgk demo-data 相同的种子")
    p.add_argument("--households", type=int, default=None, help="与 hgk demo-data 相同的户数")
    p.add_argument("--export-date", default="2019-10-25", help="较新导出的导出时间（日期）")
    p.add_argument("--visit-date", default="2019-10-12", help="模拟走访日期")

    p = sub.add_parser("demo-inspect", help="用演示数据的真实情况模拟填写抽查名单（仅演示）")
    p.add_argument("--list", required=True, help="抽查名单_<year>.xlsx")
    p.add_argument("--truth", required=True, help="演示数据的 ground truth 目录")
    p.add_argument("--out", required=True, help="写出已填写的名单")
    return ap


def main(argv: list[str] | None = None) -> int:
    from .errors import HgkError

    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo-data":
            from .demo.cli import run as fn
        elif args.command == "load":
            from .io.cli import run as fn
        elif args.command == "check":
            from .orchestrate.county import run_check_cli as fn
        elif args.command == "audit":
            from .orchestrate.batch import run_audit_cli as fn
        elif args.command == "spot-check":
            from .risk.cli import run as fn
        elif args.command == "collect":
            from .campaign.collect import run_collect_cli as fn
        elif args.command == "demo-campaign":
            from .demo.campaign import run as fn
        elif args.command == "demo-inspect":
            from .risk.cli import run_demo_inspect as fn
        else:  # pragma: no cover - argparse enforces the choices
            raise SystemExit(2)
        return int(fn(args) or 0)
    except HgkError as err:
        if os.environ.get("HGK_DEBUG"):
            raise
        print(f"错误：{err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
