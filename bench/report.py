"""docs/benchmarks.md: the machine, the command, and the tables of one run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.client_pool import CLIENT_PROCESSES
from bench.cold_start import ColdStart
from bench.depth import DepthResult
from bench.latency import Summary
from bench.scenarios import CONSUMERS, FIFO_GROUPS, PRODUCERS, WAIT_TIME_SECONDS, Scenario
from bench.workload import ScenarioResult

OPERATION_COLUMNS = (("send", "send_batch"), ("receive",), ("delete", "delete_batch"))


@dataclass
class RunReport:
    command: str
    started_utc: str
    machine: dict[str, str]
    versions: dict[str, str]
    peers: list[str]
    unavailable: dict[str, str]
    scenarios: list[Scenario]
    results: list[ScenarioResult]
    depths: list[DepthResult] = field(default_factory=list)
    plot_file: str | None = None


COLD_START_TARGET_MS = 500
# The cost side is measured by its own command, on moto rather than against running servers.
COST_SECTION = """## Cost per million messages

![Cost per million messages, dynaqueue on AWS and Amazon SQS](benchmarks-cost.png)

DynamoDB calls, write and read units per message of every scenario (standard and FIFO, 1 KB and 64 KB,
single and batched, plaintext and encrypted), and the cost per million messages on AWS next to Amazon
SQS's price, are measured by `python -m bench units`: see [request-units.md](request-units.md)."""


def render(report: RunReport) -> str:
    sections = [
        _header(report),
        _throughput(report),
        _ratios(report),
        _server_cpu(report),
        _latency(report),
        _delivery(report),
        _depths(report),
        COST_SECTION,
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _header(report: RunReport) -> str:
    machine = "\n".join(f"| {name} | {value} |" for name, value in report.machine.items())
    versions = ", ".join(f"{name} {version}" for name, version in report.versions.items())
    unavailable = "".join(f"\n- **{peer}** was not measured: {reason}" for peer, reason in report.unavailable.items())
    sizes = sorted({scenario.body_bytes for scenario in report.scenarios})
    batch_sizes = ", ".join(
        f"{scenario.batch_size} at {scenario.body_bytes // 1024} KB"
        for scenario in report.scenarios
        if scenario.batched and not scenario.fifo
    )
    plot = f"\n\n![Throughput per peer]({report.plot_file})" if report.plot_file else ""
    return f"""# Benchmarks

Measured {report.started_utc} with

```
{report.command}
```

Rerun it after `pip install -e '.[dev,bench]'`; the harness starts and stops every server itself, on free
ports of 127.0.0.1. LocalStack gets its own virtual environment under `.bench/`, created on first use.
This is a documented command, not part of the test run.

## Machine

| | |
|---|---|
{machine}

Versions: {versions}.

## Workload

The same for every peer, through boto3 clients: {PRODUCERS} producer and {CONSUMERS} consumer threads, each with
its own client, split evenly over {CLIENT_PROCESSES} client processes so that the client side is not held to
one CPU by Python's GIL; consumers long-poll (`WaitTimeSeconds={WAIT_TIME_SECONDS}`), then delete what they received.
Bodies of {", ".join(f"{size // 1024} KB" for size in sizes)} (the message id, then seeded random letters and
digits, which compress to about 75% like mixed text); "batch" scenarios use SendMessageBatch,
ReceiveMessage with up to the batch size and DeleteMessageBatch (batch size {batch_sizes}: within the
classic 256 KiB batch limit every peer enforces), "single" ones one message per call. FIFO queues spread
messages over {FIFO_GROUPS} message groups. Throughput counts messages received **and deleted** per second,
from the first send to the last delete. Latency counts calls that returned messages (an empty long poll
times the wait, not the server). Peers: {", ".join(report.peers)}.{unavailable}{plot}"""


def _measured(report: RunReport) -> list[str]:
    return [peer for peer in report.peers if peer not in report.unavailable]


def _by_key(report: RunReport) -> dict[tuple[str, str], ScenarioResult]:
    return {(result.scenario, result.peer): result for result in report.results}


def _throughput(report: RunReport) -> str:
    peers = _measured(report)
    results = _by_key(report)
    rows = [
        f"| {scenario.name} | " + " | ".join(_rate(results.get((scenario.name, peer))) for peer in peers) + " |"
        for scenario in report.scenarios
    ]
    title = (
        "## Throughput (messages/s)\n\n⚠: the scenario's deadline was reached; the figure counts only what was "
        "delivered within it, and the ratios below leave out a peer that delivered nothing."
    )
    return _table(title, ["scenario", *peers], rows)


def _rate(result: ScenarioResult | None) -> str:
    if result is None:
        return "—"
    mark = "" if not result.note else " ⚠"
    return f"{result.messages_per_second:,.0f}{mark}"


def _ratios(report: RunReport) -> str:
    peers = _measured(report)
    if len(peers) < 2:
        return ""
    base, others = peers[0], peers[1:]
    results = _by_key(report)
    rows = []
    logs: dict[str, list[float]] = {peer: [] for peer in others}
    for scenario in report.scenarios:
        cells = []
        for peer in others:
            ratio = _ratio(results.get((scenario.name, base)), results.get((scenario.name, peer)))
            cells.append(f"{ratio:.2f}x" if ratio else "—")
            if ratio:
                logs[peer].append(math.log(ratio))
        rows.append(f"| {scenario.name} | " + " | ".join(cells) + " |")
    means = [f"**{math.exp(sum(values) / len(values)):.2f}x**" if values else "—" for values in logs.values()]
    rows.append("| geometric mean | " + " | ".join(means) + " |")
    title = (
        f"## Ratios: {base} throughput ÷ each peer's, same run\n\nAbove 1 means {base} moved more messages per second."
    )
    return _table(title, ["scenario", *(f"{base} ÷ {peer}" for peer in others)], rows)


def _ratio(base: ScenarioResult | None, other: ScenarioResult | None) -> float | None:
    if base is None or other is None or other.messages_per_second <= 0:
        return None
    return base.messages_per_second / other.messages_per_second


def _server_cpu(report: RunReport) -> str:
    peers = _measured(report)
    results = _by_key(report)
    if not any(result.server_cpu_ms_per_message for result in report.results):
        return ""
    base, others = peers[0], peers[1:]
    rows = []
    logs: dict[str, list[float]] = {peer: [] for peer in others}
    for scenario in report.scenarios:
        costs = [_cpu_cost(results.get((scenario.name, peer))) for peer in peers]
        cells = [f"{cost:.2f}" if cost else "—" for cost in costs]
        for peer, cost in zip(others, costs[1:], strict=True):
            ratio = cost / costs[0] if cost and costs[0] else None
            cells.append(f"{ratio:.2f}x" if ratio else "—")
            if ratio:
                logs[peer].append(math.log(ratio))
        rows.append(f"| {scenario.name} | " + " | ".join(cells) + " |")
    means = [f"**{math.exp(sum(values) / len(values)):.2f}x**" if values else "—" for values in logs.values()]
    rows.append("| geometric mean | " + " | ".join([*[""] * len(peers), *means]) + " |")
    title = (
        "## Server CPU per message (ms)\n\n"
        "CPU time of each peer's server processes (user + system, from /proc) during the scenario, divided by the "
        "messages delivered. On a machine this small the boto3 clients need more CPU than the server does, and "
        "they share the same cores, so throughput ratios understate how much less work one server does than "
        f"another; this is that work. Ratios: each peer's CPU per message ÷ {base}'s (above 1: {base} needs less)."
    )
    columns = ["scenario", *peers, *(f"{peer} ÷ {base}" for peer in others)]
    return _table(title, columns, rows)


def _cpu_cost(result: ScenarioResult | None) -> float | None:
    # A scenario cut short by its deadline measured a peer stuck, not working: its figure would mislead.
    if result is None or result.note:
        return None
    return result.server_cpu_ms_per_message


def _latency(report: RunReport) -> str:
    rows = []
    for result in report.results:
        cells = [_summary(_first(result.latency, names)) for names in OPERATION_COLUMNS]
        rows.append(f"| {result.scenario} | {result.peer} | " + " | ".join(cells) + " |")
    title = "## Latency per call (ms: p50 / p95 / p99)\n\nBatch scenarios time the batch calls."
    return _table(title, ["scenario", "peer", "send", "receive", "delete"], rows)


def _first(latency: dict[str, Summary], names: Sequence[str]) -> Summary | None:
    return next((latency[name] for name in names if name in latency), None)


def _summary(summary: Summary | None) -> str:
    if summary is None or summary.count == 0:
        return "—"
    return f"{summary.p50_ms:.1f} / {summary.p95_ms:.1f} / {summary.p99_ms:.1f}"


def _delivery(report: RunReport) -> str:
    rows = []
    for result in report.results:
        errors = result.errors
        if result.error_reasons:
            errors = f"{errors} ({'; '.join(result.error_reasons)})"
        rows.append(
            f"| {result.scenario} | {result.peer} | {result.sent} | {result.unsent} | {result.delivered} | "
            f"{result.lost} | "
            f"{result.duplicates} | {errors} | {result.note} |"
        )
    title = (
        "## Delivery check\n\nEvery message carries a unique id. *Not sent* were refused or still unsent at the "
        "deadline; *missing* were sent (acknowledged) but not received and deleted before the scenario's "
        "deadline; *duplicates* counts ids received more than once (visibility timeout 300 s, no client retries)."
    )
    columns = ["scenario", "peer", "sent", "not sent", "delivered", "missing", "duplicates", "errors", "note"]
    return _table(title, columns, rows)


def _depths(report: RunReport) -> str:
    if not report.depths:
        return ""
    rows = [
        f"| {result.depth:,} | {result.preload_seconds:.1f} | {_summary(result.receive)} | "
        f"{_summary(result.delete)} | {result.receive.count} |"
        for result in report.depths
    ]
    title = (
        "## Embedded store: latency by queue depth\n\nThe backlog is written through the store API before the "
        "server starts; then one client receives one message and deletes it, sequentially."
    )
    return _table(title, ["depth", "preload (s)", "receive (ms)", "delete (ms)", "samples"], rows)


def _table(title: str, columns: Sequence[str], rows: Sequence[str]) -> str:
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    return "\n".join([title, "", header, rule, *rows])


def render_cold_start(measured: ColdStart, *, command: str, started_utc: str, machine: dict[str, str]) -> str:
    machine_rows = "\n".join(f"| {name} | {value} |" for name, value in machine.items())
    verdict = "within" if measured.total_ms < COLD_START_TARGET_MS else "over"
    return f"""# Cold start of the API handler

Measured {started_utc} with

```
{command}
```

The harness builds the Lambda asset with the project's own Docker-free bundler (`stacks/bundling.py`), for
this machine's platform ({measured.platform}) and Python {measured.python} so that it can run here — the
deployed asset holds the same files built for arm64. Each of {measured.samples} samples starts a fresh
interpreter whose import path holds only the asset ({measured.asset_megabytes:.1f} MB unzipped) and the AWS SDK
distributions the Lambda runtime provides, imports `dynaqueue.handlers.api`, and serves one CreateQueue on
the embedded store. Medians:

| step | ms |
|---|---|
| import of the handler module (Powertools, PynamoDB, boto3, the service) | {measured.import_ms:.0f} |
| first request (store opened, queue created, response built) | {measured.first_request_ms:.0f} |
| **total** | **{measured.total_ms:.0f}** |

Target: under {COLD_START_TARGET_MS} ms in total — this run is **{verdict}** it. Lambda's own start-up (runtime
boot, downloading the asset) comes on top and is not measurable without an AWS account; the DynamoDB store's
first request adds the TLS connection to DynamoDB (one round trip) instead of opening a local file.

## Machine

| | |
|---|---|
{machine_rows}
"""
