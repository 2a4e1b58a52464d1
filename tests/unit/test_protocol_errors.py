"""The error table: every domain error has a wire form, and every wire form is one SQS clients know."""

from __future__ import annotations

import botocore.session
import pytest

from dynaqueue.domain import errors as domain_errors
from dynaqueue.domain.errors import QueueServiceError
from dynaqueue.protocol.auth_errors import AUTH_WIRE_ERRORS, AuthenticationError
from dynaqueue.protocol.errors import WIRE_ERRORS, query_code, wire_error

# Errors SQS shares with every AWS JSON service; they are not shapes of the SQS model.
GENERIC_SHAPES = {
    "InvalidParameterValueException",
    "MissingRequiredParameterException",
    "AccessDeniedException",
    "UnknownOperationException",
    "InternalFailure",
}


def all_error_classes(base: type[QueueServiceError] = QueueServiceError) -> set[type[QueueServiceError]]:
    found = set()
    for subclass in base.__subclasses__():
        found |= {subclass, *all_error_classes(subclass)}
    return found


def test_every_error_has_an_entry():
    """Domain errors are in the SQS table; authentication failures (protocol.auth_errors) in their own."""
    assert all_error_classes(), "the domain declares its errors"
    missing = {error.code for error in all_error_classes()} - set(WIRE_ERRORS) - set(AUTH_WIRE_ERRORS)
    assert not missing
    assert {error.code for error in all_error_classes(AuthenticationError)} <= set(AUTH_WIRE_ERRORS)


def test_every_type_is_an_sqs_error_shape_or_a_generic_error():
    sqs_shapes = {shape.name for shape in botocore.session.get_session().get_service_model("sqs").error_shapes}

    for code, wire in WIRE_ERRORS.items():
        namespace, shape = wire.type_name.split("#")
        if shape in sqs_shapes:
            assert (namespace, shape) == ("com.amazonaws.sqs", code)
        else:
            assert (namespace, shape) == ("com.amazon.coral.service", shape)
            assert shape in GENERIC_SHAPES


@pytest.mark.parametrize(
    ("code", "query", "status"),
    [
        ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400),
        ("QueueNameExists", "QueueAlreadyExists", 400),
        ("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403),
        ("ResourceNotFoundException", "ResourceNotFoundException", 404),
        ("InvalidParameterValue", "InvalidParameterValue", 400),
        ("MissingParameter", "MissingParameter", 400),
        ("InternalError", "InternalError", 500),
    ],
)
def test_query_codes_and_statuses_follow_sqs(code: str, query: str, status: int):
    assert (wire_error(code).query_code, wire_error(code).status) == (query, status)


def test_only_internal_errors_are_the_receivers_fault():
    receivers = {code for code, wire in WIRE_ERRORS.items() if wire.fault == "Receiver"}

    assert receivers == {domain_errors.InternalError.code}


def test_a_code_missing_from_the_table_still_reaches_the_client_as_a_client_error():
    assert (wire_error("SomethingNew").status, query_code("SomethingNew")) == (400, "SomethingNew")
