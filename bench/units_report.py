"""docs/request-units.md: measured request units per message, and what a million messages cost with them."""

from __future__ import annotations

from dataclasses import dataclass

from bench.aws_sized_keys import AWS_WRAPPED_DATA_KEY_BYTES
from bench.units import FIFO_GROUPS, SHARDS, LifecycleUnits, OperationUnits, UnitScenario
from scripts.cost_model import Costs, Units, costs_per_million, usd
from scripts.cost_model import Scenario as CostScenario


@dataclass(frozen=True, slots=True)
class UnitsReport:
    command: str
    started_utc: str
    seconds: float
    versions: dict[str, str]
    results: list[LifecycleUnits]
    plot_file: str | None = None


def cost_scenario(scenario: UnitScenario) -> CostScenario:
    """The cost model's scenario of the same queue kind, body size and batching (SSE does not change its prices)."""
    return CostScenario(fifo=scenario.fifo, body_kib=scenario.body_kib, batch=scenario.batch)


def lifecycle_costs(result: LifecycleUnits) -> Costs:
    """US dollars per million messages, with the measured request units and the cost model's prices."""
    lifecycle = result.lifecycle
    units = Units(lifecycle.write_units, lifecycle.read_units).per(result.messages)
    return costs_per_million(cost_scenario(result.scenario), units)


def render(report: UnitsReport) -> str:
    sections = [_header(report), _units_table(report), _cost_table(report), _against_model(report), _sources(report)]
    return "\n\n".join(sections) + "\n"


def _header(report: UnitsReport) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in report.versions.items())
    plot = f"\n\n![Cost per million messages, dynaqueue and Amazon SQS]({report.plot_file})" if report.plot_file else ""
    messages = sorted({result.messages for result in report.results})
    return f"""# Request units and cost per message, measured

Measured {report.started_utc} in {report.seconds:.0f} s with

```
{report.command}
```

Versions: {versions}.

Every scenario sends {" or ".join(map(str, messages))} messages through dynaqueue's DynamoDB store on moto, then
drains the queue: each receive is followed by the delete of what it returned. Figures are **per message**,
the lifecycle being its send, its receive and its delete; US dollars are per million messages, us-east-1,
first pricing tier, free tiers ignored.{plot}"""


def _units_table(report: UnitsReport) -> str:
    rows = [
        "## DynamoDB calls, write units and read units per message",
        "",
        "Each cell is DynamoDB calls / WRU / RRU per message.",
        "",
        "| scenario | send | receive | delete | **lifecycle** |",
        "|---|---|---|---|---|",
    ]
    for result in report.results:
        cells = [_cell(result, operation) for operation in (result.send, result.receive, result.delete)]
        rows.append(f"| {result.scenario.label} | {' | '.join(cells)} | **{_cell(result, result.lifecycle)}** |")
    return "\n".join(rows)


def _cost_table(report: UnitsReport) -> str:
    rows = [
        "## Cost per million messages",
        "",
        "| scenario | WRU / RRU per message | DynamoDB | HTTP API | Lambda | **dynaqueue** | **Amazon SQS** | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in report.results:
        costs = lifecycle_costs(result)
        _, write, read = result.per_message(result.lifecycle)
        rows.append(
            f"| {result.scenario.label} | {_number(write)} / {_number(read)} | {usd(costs.dynamodb)} "
            f"| {usd(costs.http_api)} | {usd(costs.lambda_functions)} | **{usd(costs.dynaqueue)}** "
            f"| **{usd(costs.sqs)}** | {costs.ratio:.0f}x |"
        )
    return "\n".join(rows)


def _against_model(report: UnitsReport) -> str:
    rows = [
        "## Against the cost model",
        "",
        "[cost-model.md](cost-model.md) uses the units the store's tests assert: plaintext, one FIFO message",
        "group, and an incompressible 64 KiB body. Its WRU / RRU per lifecycle next to the measured plaintext ones:",
        "",
        "| scenario | cost model | measured |",
        "|---|---|---|",
    ]
    for result in report.results:
        if result.scenario.sealed:
            continue
        model = cost_scenario(result.scenario).dynamodb_units()
        _, write, read = result.per_message(result.lifecycle)
        rows.append(
            f"| {result.scenario.label} | {_number(model.write)} / {_number(model.read)} "
            f"| {_number(write)} / {_number(read)} |"
        )
    return "\n".join(rows)


def _sources(report: UnitsReport) -> str:
    return f"""## Where the numbers come from

- **Request units** are computed per DynamoDB call by `dynaqueue.storage.capacity.CapacityMeter` from the
  items' sizes before and after the call, by DynamoDB's billing rules (moto's own ConsumedCapacity figures
  are constants). The store is the real `DynamoStore` ({SHARDS} shards, as deployed) under the
  `EncryptingStore`, driven through the store port with the calls `QueueService` makes: messages are built
  by the service's `prepare_message` (SenderId; FIFO group and deduplication ids), a batch delete is
  `delete_messages`.
- **Queue-record reads are left out**, as in the cost model: the functions cache queue records for 30 s,
  and the measurement hands the record to the store instead of reading it. Also left out: empty receives,
  lost races, visibility changes, storage ($0.25 per GB-month), housekeeping, and KMS requests for data keys
  (one GenerateDataKey and one Decrypt per reuse period and Lambda instance).
- **Bodies**: 1 KB is the realistic JSON event of `tests/integration/test_dynamo_costs.py`; 64 KB is seeded
  random letters and digits, which compress to about 75%. The store compresses content, so a compressible
  64 KB body costs fewer units than the cost model's incompressible one.
- **FIFO** messages go round-robin to {FIFO_GROUPS} message groups; a batch send touches ten groups, a batch
  receive takes one group's backlog. A group's ready-index entry sits on the shard its id hashes to, and a
  receive walks the shards from a random one until it finds a ready group: as the queue drains, some
  receives first query emptied shards (0.5 RRU each), which is why FIFO receives read more than the tests'
  one-shard figures.
- **SSE** queues (`SqsManagedSseEnabled=true`, the default for new queues) store an envelope: the body
  zlib-compressed, sealed with a KMS data key, base64 in compact JSON, naming its data key by a 16-byte
  reference. The wrapped data key is stored once per data key (one small item, written when a process
  first seals with it: the 0.01 write units per message above, over 100 messages), so a sealed 1 KB JSON
  message stays under 1 KB and costs what a plaintext one does. moto's KMS wraps a data key in 96 bytes;
  the measurement pads it to {AWS_WRAPPED_DATA_KEY_BYTES} bytes, the CiphertextBlob of the AWS CLI documentation's
  `generate-data-key` example, so that the key's item weighs what it weighs on AWS. Amazon SQS charges
  nothing extra for SSE-SQS, so its price is the same with or without.
- **Deterministic**: standard producers and receivers meet on shard 0, as under load where every shard holds
  messages (the cost tests do the same); FIFO receives start at shards drawn from a seeded generator; data
  keys, nonces and message ids come from a seeded generator too. A rerun gives the same figures.
- **Prices**, the HTTP API and Amazon SQS metering, and the Lambda memory and billed durations (an
  assumption, not a measurement) are those of `scripts/cost_model.py`; see [cost-model.md](cost-model.md)
  for their sources."""


def _cell(result: LifecycleUnits, operation: OperationUnits) -> str:
    calls, write, read = result.per_message(operation)
    return f"{_number(calls)} / {_number(write)} / {_number(read)}"


def _number(value: float) -> str:
    return f"{round(value, 3):g}"
