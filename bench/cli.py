"""`python -m bench run`: measure every peer with the same workload and write the report.

`python -m bench units`: measure DynamoDB request units per message lifecycle and price them against SQS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.cold_start import SAMPLES, measure_cold_start
from bench.depth import FULL_SAMPLES, QUICK_SAMPLES, depths, measure_depth
from bench.localstack_venv import Unavailable
from bench.machine import describe_machine
from bench.peers import PEERS, running_peer
from bench.plot import plot_costs, plot_throughput
from bench.report import RunReport, render, render_cold_start
from bench.scenarios import Scenario, scenarios
from bench.units import MESSAGES, SCENARIOS, measure
from bench.units_report import UnitsReport, lifecycle_costs
from bench.units_report import render as render_units
from bench.workload import ScenarioResult, run_scenario

DEFAULT_OUT = Path("docs/benchmarks.md")
COLD_START_OUT = Path("docs/cold-start.md")
UNITS_OUT = Path("docs/request-units.md")
COST_PLOT_FILE = "benchmarks-cost.png"
CACHE_DIR = Path(".bench")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(arguments)
    return args.run(args, arguments)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the benchmark and write the report")
    run.add_argument("--quick", action="store_true", help="1 KB bodies, fewer messages, depths up to 100k (~3 min)")
    run.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated, from {', '.join(PEERS)}")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the Markdown report (default {DEFAULT_OUT})")
    run.add_argument("--no-depth", action="store_true", help="skip the embedded store's queue-depth check")
    run.set_defaults(run=_run)
    cold = commands.add_parser("coldstart", help="measure the API handler's cold start from the bundled asset")
    cold.add_argument("--samples", type=int, default=SAMPLES, help=f"fresh interpreters to time (default {SAMPLES})")
    cold.add_argument(
        "--out", type=Path, default=COLD_START_OUT, help=f"the Markdown report (default {COLD_START_OUT})"
    )
    cold.set_defaults(run=_cold_start)
    units = commands.add_parser("units", help="measure DynamoDB request units per message on moto and price them")
    units.add_argument("--out", type=Path, default=UNITS_OUT, help=f"the Markdown report (default {UNITS_OUT})")
    units.add_argument(
        "--messages", type=int, default=MESSAGES, help=f"messages per scenario, a multiple of 10 (default {MESSAGES})"
    )
    units.set_defaults(run=_units)
    return parser


def _cold_start(args: argparse.Namespace, arguments: list[str]) -> int:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    _say("building the asset and timing fresh interpreters")
    measured = measure_cold_start(CACHE_DIR, samples=args.samples)
    command = " ".join(["python -m bench", *arguments])
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.out.write_text(render_cold_start(measured, command=command, started_utc=started, machine=describe_machine()))
    _say(f"import {measured.import_ms:.0f} ms + first request {measured.first_request_ms:.0f} ms; wrote {args.out}")
    return 0


def _units(args: argparse.Namespace, arguments: list[str]) -> int:
    if args.messages < 10 or args.messages % 10:
        print("--messages must be a positive multiple of 10", file=sys.stderr)
        return 2
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.monotonic()
    results = []
    for scenario in SCENARIOS:
        result = measure(scenario, args.messages)
        _, write, read = result.per_message(result.lifecycle)
        _say(f"  {scenario.label}: {write:g} WRU, {read:g} RRU per message")
        results.append(result)
    plot_path = args.out.with_name(COST_PLOT_FILE)
    costs = [lifecycle_costs(result) for result in results]
    labels = [result.scenario.label for result in results]
    plotted = plot_costs(labels, [cost.dynaqueue for cost in costs], [cost.sqs for cost in costs], plot_path)
    report = UnitsReport(
        command=" ".join(["python -m bench", *arguments]),
        started_utc=started,
        seconds=time.monotonic() - began,
        versions={name: version for name, version in _versions().items() if name != "localstack-core"},
        results=results,
        plot_file=plot_path.name if plotted else None,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_units(report))
    _say(f"wrote {args.out}" + (f" and {plot_path}" if plotted else " (no plot: matplotlib is not installed)"))
    return 0


def _run(args: argparse.Namespace, arguments: list[str]) -> int:
    peers = [peer.strip() for peer in args.peers.split(",") if peer.strip()]
    unknown = [peer for peer in peers if peer not in PEERS]
    if unknown:
        print(f"unknown peers: {', '.join(unknown)}; choose from {', '.join(PEERS)}", file=sys.stderr)
        return 2
    matrix = scenarios(quick=args.quick)
    report = RunReport(
        command=" ".join(["python -m bench", *arguments]),
        started_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=describe_machine(),
        versions=_versions(),
        peers=peers,
        unavailable={},
        scenarios=matrix,
        results=[],
    )
    began = time.monotonic()
    for peer in peers:
        report.results.extend(_measure_peer(peer, matrix, report.unavailable))
    if not args.no_depth:
        samples = QUICK_SAMPLES if args.quick else FULL_SAMPLES
        for depth in depths(quick=args.quick):
            _say(f"embedded store at depth {depth:,}")
            report.depths.append(measure_depth(depth, CACHE_DIR, samples=samples))
    plot_path = args.out.with_name(args.out.stem + "-throughput.png")
    if plot_throughput(report.results, [p for p in peers if p not in report.unavailable], plot_path):
        report.plot_file = plot_path.name
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(report))
    (CACHE_DIR / "results.json").write_text(json.dumps(asdict(report), indent=2, default=str))
    _say(f"wrote {args.out} in {time.monotonic() - began:.0f} s")
    return 0


def _measure_peer(peer: str, matrix: list[Scenario], unavailable: dict[str, str]) -> list[ScenarioResult]:
    _say(f"starting {peer}")
    results = []
    try:
        with running_peer(peer, CACHE_DIR) as running:
            for scenario in matrix:
                cpu_before = running.cpu_seconds()
                result = run_scenario(running.endpoint, peer, scenario)
                result.server_cpu_seconds = running.cpu_seconds() - cpu_before
                _say(f"  {scenario.name}: {result.messages_per_second:,.0f} msg/s, {result.lost} missing {result.note}")
                results.append(result)
    except Unavailable as reason:
        unavailable[peer] = str(reason)
        _say(f"  {peer} unavailable: {reason}")
    except Exception as failure:  # A peer that breaks mid-run is reported; the others are still measured.
        unavailable[peer] = f"failed during the run: {type(failure).__name__}: {failure}"
        results = []
        _say(f"  {peer} failed: {failure}")
    return results


def _versions() -> dict[str, str]:
    versions = {}
    for package in ("dynaqueue", "boto3", "moto"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["localstack-core"] = _localstack_version()
    return versions


def _localstack_version() -> str:
    found = sorted((CACHE_DIR / "venvs" / "localstack").glob("lib/python*/site-packages/localstack_core-*.dist-info"))
    return found[-1].name.removesuffix(".dist-info").split("-", 1)[1] if found else "not installed yet"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
