"""The benchmark's client-process bookkeeping: how the load is dealt out and how deliveries are counted."""

from __future__ import annotations

from collections import Counter

from bench.client_pool import CLIENT_PROCESSES, assignments
from bench.delivery import DeliveryTally
from bench.latency import LatencyRecorder
from bench.scenarios import scenarios


def test_every_id_is_sent_by_exactly_one_producer_and_the_totals_stay_four_and_four():
    scenario = scenarios(quick=True)[0]
    ids = [f"m{index:07d}" for index in range(scenario.messages)]

    shares = assignments("http://127.0.0.1:1", "queue-url", scenario, ids)

    assert len(shares) == CLIENT_PROCESSES
    assert [share.index for share in shares] == list(range(len(shares)))
    assert sum(len(share.producer_ids) for share in shares) == scenario.producers
    assert sum(share.consumers for share in shares) == scenario.consumers
    sent_by = Counter(message_id for share in shares for producer in share.producer_ids for message_id in producer)
    assert set(sent_by) == set(ids)
    assert set(sent_by.values()) == {1}


def test_each_process_gets_the_same_mix_of_producers_and_consumers():
    scenario = scenarios(quick=True)[0]

    shares = assignments("http://127.0.0.1:1", "queue-url", scenario, ["m0000000"])

    assert {(len(share.producer_ids), share.consumers) for share in shares} == {
        (scenario.producers // len(shares), scenario.consumers // len(shares))
    }


def test_deliveries_after_the_cutoff_are_not_counted_but_late_reports_of_earlier_ones_are():
    tally = DeliveryTally(3, cutoff=10.0)
    tally.delivered(["a"], at=1.0)
    tally.close(5.0)

    tally.delivered(["b"], at=4.0)  # happened before the cut-off, reported after it
    tally.delivered(["c"], at=6.0)

    assert tally.unique == 2
    assert tally.last_delivery == 4.0
    assert not tally.complete


def test_duplicates_and_missing_come_from_ids_seen_across_processes():
    tally = DeliveryTally(3)
    tally.delivered(["a", "b"], at=1.0)
    tally.delivered(["b"], at=2.0)

    assert tally.duplicates == 1
    assert tally.missing({"a", "b", "c"}) == 1
    assert tally.last_delivery == 2.0


def test_a_later_close_does_not_reopen_an_earlier_cutoff():
    tally = DeliveryTally(1, cutoff=3.0)
    tally.close(8.0)

    tally.delivered(["a"], at=5.0)

    assert tally.unique == 0


def test_percentiles_are_taken_over_the_merged_samples_of_all_processes():
    first, second, merged = LatencyRecorder(), LatencyRecorder(), LatencyRecorder()
    for milliseconds in (1, 2, 3):
        first.record("send", milliseconds / 1000)
    for milliseconds in (97, 98, 99, 100):
        second.record("send", milliseconds / 1000)

    merged.merge(first.samples())
    merged.merge(second.samples())

    summary = merged.summaries()["send"]
    assert summary.count == 7
    assert round(summary.p50_ms) == 97
    assert round(summary.p99_ms) == 100
