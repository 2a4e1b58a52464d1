"""The benchmark report's server CPU table: per-message cost per peer and the ratios to the first peer."""

from __future__ import annotations

from bench.report import RunReport, render
from bench.scenarios import scenarios
from bench.workload import ScenarioResult


def report_of(results: list[ScenarioResult]) -> str:
    run = RunReport(
        command="python -m bench run --quick",
        started_utc="2026-11-25 18:00 UTC",
        machine={"CPUs": "2"},
        versions={},
        peers=["dynaqueue", "localstack"],
        unavailable={},
        scenarios=scenarios(quick=True)[:2],
        results=results,
    )
    text = render(run)
    return text[text.index("## Server CPU") : text.index("## Latency")]


def result(scenario: str, peer: str, cpu_seconds: float, *, note: str = "") -> ScenarioResult:
    return ScenarioResult(scenario=scenario, peer=peer, delivered=200, server_cpu_seconds=cpu_seconds, note=note)


def test_server_cpu_per_message_and_the_ratio_to_the_first_peer_are_reported():
    table = report_of(
        [
            result("standard-single-1KB", "dynaqueue", 0.4),
            result("standard-single-1KB", "localstack", 3.6),
            result("standard-batch-1KB", "dynaqueue", 0.2),
            result("standard-batch-1KB", "localstack", 0.4),
        ]
    )

    assert "| standard-single-1KB | 2.00 | 18.00 | 9.00x |" in table
    assert "| standard-batch-1KB | 1.00 | 2.00 | 2.00x |" in table
    assert "| geometric mean |  |  | **4.24x** |" in table


def test_a_scenario_cut_short_by_its_deadline_is_left_out_of_the_cpu_comparison():
    table = report_of(
        [
            result("standard-single-1KB", "dynaqueue", 0.4),
            result("standard-single-1KB", "localstack", 0.1, note="deadline of 12 s reached"),
        ]
    )

    assert "| standard-single-1KB | 2.00 | — | — |" in table
    assert "| geometric mean |  |  | — |" in table
