"""docs/cost-model.md is exactly what scripts/cost_model.py generates, and the model adds up."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cost_model.py"


@pytest.fixture(scope="module")
def cost_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost_model", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_committed_page_equals_the_generated_one(cost_model: ModuleType) -> None:
    assert cost_model.PAGE.read_text() == cost_model.render()


def test_check_mode_reports_a_stale_page(
    cost_model: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stale = tmp_path / "cost-model.md"
    stale.write_text("old numbers\n")
    monkeypatch.setattr(cost_model, "PAGE", stale)

    assert cost_model.main(["--check"]) == 1
    assert cost_model.main(["--write"]) == 0
    assert cost_model.main(["--check"]) == 0


def test_standard_1_kb_lifecycle_is_the_asserted_7_write_units_and_half_a_read_unit(cost_model: ModuleType) -> None:
    scenario = cost_model.Scenario(fifo=False, body_kib=1, batch=1)

    assert scenario.dynamodb_units() == cost_model.Units(7, 0.5)


def test_fifo_1_kb_lifecycle_is_the_asserted_15_write_units_and_2_5_read_units(cost_model: ModuleType) -> None:
    scenario = cost_model.Scenario(fifo=True, body_kib=1, batch=1)

    assert scenario.dynamodb_units() == cost_model.Units(15, 2.5)


def test_sqs_bills_every_64_kb_of_a_batch_and_the_http_api_every_512_kb(cost_model: ModuleType) -> None:
    small_batch = cost_model.Scenario(fifo=False, body_kib=1, batch=10)
    large_batch = cost_model.Scenario(fifo=False, body_kib=64, batch=10)

    # send + receive + delete, per message
    assert small_batch.sqs_requests() == pytest.approx(3 / 10)
    assert large_batch.sqs_requests() == pytest.approx((10 + 10 + 1) / 10)
    assert large_batch.http_api_requests() == pytest.approx((2 + 2 + 1) / 10)


def test_every_scenario_is_on_the_page(cost_model: ModuleType) -> None:
    page = cost_model.render()

    assert len(cost_model.SCENARIOS) == 8
    for scenario in cost_model.SCENARIOS:
        assert f"| {scenario.label} |" in page
