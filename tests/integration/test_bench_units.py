"""`python -m bench units` measures what the store's cost tests assert, and measures it the same way every run."""

from __future__ import annotations

from bench.units import LifecycleUnits, OperationUnits, UnitScenario, measure


def _per_message(result: LifecycleUnits, operation: OperationUnits) -> tuple[float, float]:
    _, write_units, read_units = result.per_message(operation)
    return write_units, read_units


def test_standard_1_kb_lifecycle_costs_the_asserted_7_write_units_and_half_a_read_unit() -> None:
    result = measure(UnitScenario(fifo=False, body_kib=1, batch=1, sealed=False), messages=20)

    # The figures of test_dynamo_costs.test_lifecycle_of_a_1_kb_json_message_costs_7_write_units_and_half_a_read_unit.
    assert _per_message(result, result.send) == (2, 0)
    assert _per_message(result, result.receive) == (3, 0.5)
    assert _per_message(result, result.delete) == (2, 0)
    assert _per_message(result, result.lifecycle) == (7, 0.5)
    # PutItem; Query + UpdateItem; DeleteItem: no queue-record read among them.
    assert result.lifecycle.dynamodb_calls == 4 * 20
    assert (result.send.api_calls, result.receive.api_calls, result.delete.api_calls) == (20, 20, 20)


def test_a_sealed_1_kb_json_message_costs_what_a_plaintext_one_does_plus_its_data_key_once() -> None:
    messages = 20
    plaintext = measure(UnitScenario(fifo=False, body_kib=1, batch=1, sealed=False), messages=messages)
    sealed = measure(UnitScenario(fifo=False, body_kib=1, batch=1, sealed=True), messages=messages)

    # The envelope names its data key by reference, so a sealed item stays under 1 KB like the
    # plaintext one; the wrapped key is written once (one small item) for every message it seals.
    data_key_item = OperationUnits(api_calls=0, dynamodb_calls=1, write_units=1)
    assert sealed.send == plaintext.send + data_key_item
    assert (sealed.receive, sealed.delete) == (plaintext.receive, plaintext.delete)
    assert _per_message(plaintext, plaintext.lifecycle) == (7, 0.5)


def test_compression_before_sealing_keeps_a_64_kb_message_within_a_unit_per_write_of_plaintext() -> None:
    plaintext = measure(UnitScenario(fifo=False, body_kib=64, batch=1, sealed=False), messages=10)
    sealed = measure(UnitScenario(fifo=False, body_kib=64, batch=1, sealed=True), messages=10)

    plain_send, plain_delete = plaintext.send.write_units, plaintext.delete.write_units
    # Base64 makes the sealed text a third larger than its ciphertext; the store's compression of that
    # text wins most of it back, so a sealed message costs at most one write unit more per write
    # (and the send, one more for the data key's item).
    assert plain_send < sealed.send.write_units <= plain_send + 10 + 1
    assert plain_delete < sealed.delete.write_units <= plain_delete + 10
    assert sealed.receive == plaintext.receive
    # Both are far below the incompressible 64 KiB body's 65 write units per write (cost-model.md).
    assert sealed.send.write_units / 10 < 55


def test_two_runs_measure_identical_units() -> None:
    scenario = UnitScenario(fifo=True, body_kib=1, batch=10, sealed=True)

    assert measure(scenario, messages=20) == measure(scenario, messages=20)
