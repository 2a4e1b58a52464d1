"""Writes docs/cost-model.md: the AWS cost of a million messages through dynaqueue, next to Amazon SQS.

Request units come from the store's tests (each figure names the test that asserts it); prices and the
Lambda assumptions are stated below with their source. Run `python scripts/cost_model.py --write` after
changing any of them; tests/unit/test_cost_model.py fails while the committed page differs.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PAGE = REPO_ROOT / "docs" / "cost-model.md"
MILLION = 1_000_000
KIB = 1024

# --- prices: us-east-1, first pricing tier, no free tier -------------------------------------------------
PRICES_AS_OF = "2026, read from the pricing pages linked below for the project's design; not re-checked since"
WRITE_REQUEST_UNIT_USD = 0.625 / MILLION  # on-demand, since 2024-11-01; aws.amazon.com/dynamodb/pricing/on-demand
READ_REQUEST_UNIT_USD = 0.125 / MILLION
HTTP_API_REQUEST_USD = 1.00 / MILLION  # first 300 M a month; aws.amazon.com/api-gateway/pricing
HTTP_API_METERING_BYTES = 512 * KIB  # each started 512 KB of a request counts as one request
LAMBDA_REQUEST_USD = 0.20 / MILLION  # aws.amazon.com/lambda/pricing
LAMBDA_ARM_GB_SECOND_USD = 0.0000133334
SQS_STANDARD_REQUEST_USD = 0.40 / MILLION  # first 100 B a month; aws.amazon.com/sqs/pricing
SQS_FIFO_REQUEST_USD = 0.50 / MILLION
SQS_BILLING_CHUNK_BYTES = 64 * KIB  # each started 64 KB of a request's payload is one SQS request

# --- the deployed function ------------------------------------------------------------------------------
LAMBDA_MEMORY_MB = 256  # stacks/constructs/service_function.py, ServiceFunction.MEMORY_MB
# Billed duration per API call. Assumed, not measured on AWS: no account is reachable from this project.
LAMBDA_DURATION_MS = {(1, 1): 40, (1, 10): 100, (64, 1): 60, (64, 10): 250}  # (body KiB, messages per call)

# --- DynamoDB request units per message lifecycle (send + receive + delete) ------------------------------
# Queue records are cached for 30 s in the functions (DYNAQUEUE_QUEUE_CACHE_SECONDS), so their reads are
# left out; so are lost races, empty receives and visibility changes.


@dataclass(frozen=True, slots=True)
class Units:
    """Write and read request units of one operation (for all messages it handles)."""

    write: float
    read: float

    def __add__(self, other: Units) -> Units:
        return Units(self.write + other.write, self.read + other.read)

    def per(self, messages: int) -> Units:
        return Units(self.write / messages, self.read / messages)


# tests/integration/test_dynamo_costs.py, 1 KB JSON body.
STANDARD_1KB = {
    # test_lifecycle_of_a_1_kb_json_message_costs_7_write_units_and_half_a_read_unit
    1: Units(2, 0) + Units(3, 0.5) + Units(2, 0),
    # test_batch_send_of_ten_is_one_call_of_2_write_units_per_message,
    # test_batch_receive_of_ten_is_one_query_and_one_claim_per_message; DeleteMessageBatch deletes entry by
    # entry (QueueService.delete_message_batch), 2 write units each as in the single lifecycle.
    10: Units(20, 0) + Units(30, 0.5) + Units(10 * 2, 0),
}
# tests/integration/test_dynamo_fifo_costs.py, 1 KB JSON body, one message group.
FIFO_1KB = {
    # test_lifecycle_of_a_1_kb_message_costs_15_write_units_and_2_5_read_units
    1: Units(7 + 3 + 5, 2.5),
    # test_batch_send_of_ten_to_one_group_is_one_transaction_of_43_write_units,
    # test_receive_of_ten_from_one_group_costs_3_write_units_and_3_5_read_units,
    # test_delete_of_ten_leased_together_costs_41_write_units_and_10_read_units
    10: Units(43, 0) + Units(3, 3.5) + Units(41, 10),
}
# test_message_over_4_kb_keeps_its_blob_in_a_chunk_so_receives_rewrite_only_the_head: a body over 4 KB
# lives in chunk items; send writes them (1 write unit per KB), receive reads them (1 read unit per 4 KB),
# delete deletes them (1 write unit per KB), on top of the head item's 1 KB lifecycle. An incompressible
# 64 KiB body plus the chunk's keys is just over 64 KiB. FIFO messages keep their bodies the same way
# (storage/dynamo_content.py); that case is derived, not asserted.
CHUNK_ITEM_BYTES = 64 * KIB + 40


def chunk_units(messages: int) -> Units:
    write = math.ceil(CHUNK_ITEM_BYTES / KIB)
    read = math.ceil(CHUNK_ITEM_BYTES / (4 * KIB))
    return Units(2 * write * messages, read * messages)


@dataclass(frozen=True, slots=True)
class Scenario:
    fifo: bool
    body_kib: int
    batch: int

    @property
    def label(self) -> str:
        kind = "FIFO" if self.fifo else "standard"
        calls = "batches of 10" if self.batch > 1 else "one message per call"
        return f"{kind}, {self.body_kib} KB, {calls}"

    def dynamodb_units(self) -> Units:
        """Request units per message."""
        base = (FIFO_1KB if self.fifo else STANDARD_1KB)[self.batch]
        if self.body_kib > 4:
            base = base + chunk_units(self.batch)
        return base.per(self.batch)

    def calls(self) -> list[int]:
        """Payload bytes of each API call of one lifecycle of `batch` messages: send, receive, delete."""
        payload = self.body_kib * KIB * self.batch
        return [payload, payload, 0]

    def http_api_requests(self) -> float:
        """Metered HTTP API requests per message; the larger of request and response is what is metered."""
        return sum(max(1, math.ceil(size / HTTP_API_METERING_BYTES)) for size in self.calls()) / self.batch

    def lambda_usd(self) -> float:
        """Lambda cost per message: one invocation per call."""
        seconds = LAMBDA_DURATION_MS[(self.body_kib, self.batch)] / 1000
        per_call = LAMBDA_REQUEST_USD + seconds * LAMBDA_MEMORY_MB / 1024 * LAMBDA_ARM_GB_SECOND_USD
        return per_call * len(self.calls()) / self.batch

    def sqs_requests(self) -> float:
        """Billed Amazon SQS requests per message: every started 64 KB of a call's payload counts."""
        return sum(max(1, math.ceil(size / SQS_BILLING_CHUNK_BYTES)) for size in self.calls()) / self.batch


SCENARIOS = [
    Scenario(fifo=fifo, body_kib=body, batch=batch) for fifo in (False, True) for body in (1, 64) for batch in (1, 10)
]


@dataclass(frozen=True, slots=True)
class Costs:
    """US dollars per million messages: dynaqueue's parts, and Amazon SQS for the same messages."""

    dynamodb: float
    http_api: float
    lambda_functions: float
    sqs: float

    @property
    def dynaqueue(self) -> float:
        return self.dynamodb + self.http_api + self.lambda_functions

    @property
    def ratio(self) -> float:
        """How many times Amazon SQS's price dynaqueue costs."""
        return self.dynaqueue / self.sqs


def costs_per_million(scenario: Scenario, dynamo: Units) -> Costs:
    """The cost of a million messages of `scenario` whose lifecycles take `dynamo` request units each."""
    sqs_price = SQS_FIFO_REQUEST_USD if scenario.fifo else SQS_STANDARD_REQUEST_USD
    return Costs(
        dynamodb=(dynamo.write * WRITE_REQUEST_UNIT_USD + dynamo.read * READ_REQUEST_UNIT_USD) * MILLION,
        http_api=scenario.http_api_requests() * HTTP_API_REQUEST_USD * MILLION,
        lambda_functions=scenario.lambda_usd() * MILLION,
        sqs=scenario.sqs_requests() * sqs_price * MILLION,
    )


def usd(value: float) -> str:
    return f"{value:,.2f}"


def units(value: float) -> str:
    return f"{value:g}"


def render() -> str:
    """The whole page, deterministic: same inputs, same bytes."""
    lines = [
        "# Cost model: a million messages on dynaqueue and on Amazon SQS",
        "",
        "Generated by `scripts/cost_model.py` (do not edit by hand; run `python scripts/cost_model.py --write`).",
        "A message's lifecycle is one send, one receive and one delete. Costs are US dollars per million",
        "messages, us-east-1, first pricing tier, free tiers ignored.",
        "",
        "| scenario | DynamoDB WRU / RRU per message | DynamoDB | HTTP API | Lambda | **dynaqueue** "
        "| **Amazon SQS** | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario in SCENARIOS:
        dynamo = scenario.dynamodb_units()
        costs = costs_per_million(scenario, dynamo)
        lines.append(
            f"| {scenario.label} | {units(dynamo.write)} / {units(dynamo.read)} | {usd(costs.dynamodb)} "
            f"| {usd(costs.http_api)} | {usd(costs.lambda_functions)} | **{usd(costs.dynaqueue)}** "
            f"| **{usd(costs.sqs)}** | {costs.ratio:.0f}x |"
        )
    lines += [
        "",
        "## Where the numbers come from",
        "",
        "- **DynamoDB request units** are the counts asserted in `tests/integration/test_dynamo_costs.py`",
        "  (standard) and `tests/integration/test_dynamo_fifo_costs.py` (FIFO, one message group), computed",
        "  from item sizes by DynamoDB's billing rules; see [storage.md](storage.md).",
        f"- Bodies over 4 KB live in chunk items: a 64 KB body adds {math.ceil(CHUNK_ITEM_BYTES / KIB)} write units on"
        " send,",
        f"  as many on delete, and {math.ceil(CHUNK_ITEM_BYTES / (4 * KIB))} read units on receive. The FIFO 64 KB"
        " rows add that to",
        "  the FIFO 1 KB figures; they are derived, not asserted.",
        "- Encryption at rest (SSE-SQS, the default for new queues) costs the same units: envelopes name their",
        "  data key by reference, its wrapped form is written once per data key. `python -m bench units` measures",
        "  every row, plaintext and sealed, with compressible bodies and many FIFO groups:",
        "  [request-units.md](request-units.md).",
        "- Left out: queue-record reads (cached for 30 s by the functions), lost races, empty receives,",
        "  visibility changes, dead-letter moves, storage ($0.25 per GB-month) and housekeeping runs.",
        "",
        "| price (us-east-1) | value | source |",
        "|---|---|---|",
        f"| DynamoDB on-demand write request unit | ${WRITE_REQUEST_UNIT_USD * MILLION:g} per million "
        "| https://aws.amazon.com/dynamodb/pricing/on-demand/ |",
        f"| DynamoDB on-demand read request unit | ${READ_REQUEST_UNIT_USD * MILLION:g} per million | same |",
        f"| API Gateway HTTP API request | ${HTTP_API_REQUEST_USD * MILLION:.2f} per million, each started "
        f"{HTTP_API_METERING_BYTES // KIB} KB one request | https://aws.amazon.com/api-gateway/pricing/ |",
        f"| Lambda invocation | ${LAMBDA_REQUEST_USD * MILLION:.2f} per million "
        "| https://aws.amazon.com/lambda/pricing/ |",
        f"| Lambda duration, arm64 | ${LAMBDA_ARM_GB_SECOND_USD:.10f} per GB-second | same |",
        f"| Amazon SQS standard request | ${SQS_STANDARD_REQUEST_USD * MILLION:.2f} per million, each started "
        f"{SQS_BILLING_CHUNK_BYTES // KIB} KB one request | https://aws.amazon.com/sqs/pricing/ |",
        f"| Amazon SQS FIFO request | ${SQS_FIFO_REQUEST_USD * MILLION:.2f} per million, likewise | same |",
        "",
        f"Prices as of {PRICES_AS_OF}.",
        "For the HTTP API the larger of request and response is taken as the metered size.",
        "",
        f"Lambda runs with {LAMBDA_MEMORY_MB} MB, as deployed, one invocation per API call. The billed duration",
        "per call is an **assumption, not a measurement** (measuring it requires an AWS account):",
        "",
        "| body | messages per call | billed duration per call |",
        "|---|---|---|",
    ]
    for (body_kib, batch), duration in LAMBDA_DURATION_MS.items():
        lines.append(f"| {body_kib} KB | {batch} | {duration} ms |")
    lines += [
        "",
        "## Reading it",
        "",
        "- Batching divides the per-call costs (HTTP API, Lambda) by ten; DynamoDB's per-message writes stay.",
        "- Large messages cost in DynamoDB what their size costs: every KB is written twice (put and delete),",
        "  where SQS charges per 64 KB.",
        "- Against Amazon SQS, dynaqueue is never the cheaper choice on AWS; it is for running the same code",
        "  where SQS is not available (a laptop, tests, CI) and for a deployment you control.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the page (docs/cost-model.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed page differs")
    options = parser.parse_args(argv)
    page = render()
    if options.check:
        return 0 if PAGE.exists() and PAGE.read_text() == page else 1
    if options.write:
        PAGE.write_text(page)
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
