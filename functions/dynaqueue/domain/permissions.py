"""AddPermission / RemovePermission: the queue `Policy` statements SQS generates for them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dynaqueue.domain.errors import InvalidParameterValue, MissingParameter, OverLimit

MAX_ACTIONS_PER_STATEMENT = 7
MAX_STATEMENTS = 20
MAX_PRINCIPALS = 50
MAX_POLICY_BYTES = 8192
POLICY_VERSION = "2008-10-17"

# Actions a queue policy may grant; the batch variants come with their single-message action.
GRANTABLE_ACTIONS = frozenset(
    {
        "*",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "SendMessage",
        "ListQueueTags",
        "CancelMessageMoveTask",
        "ListMessageMoveTasks",
        "StartMessageMoveTask",
    }
)
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ACCOUNT_ID = re.compile(r"\d{12}")


def add_statement(
    policy: str | None,
    *,
    queue_arn: str,
    label: str,
    account_ids: Sequence[str],
    actions: Sequence[str],
) -> str:
    """The queue policy with one more statement granting `actions` to `account_ids` under `label`."""
    if not _LABEL.fullmatch(label):
        raise InvalidParameterValue(
            f"Value {label} for parameter Label is invalid. "
            "Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."
        )
    if not account_ids:
        raise InvalidParameterValue("Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.")
    for account_id in account_ids:
        if not _ACCOUNT_ID.fullmatch(account_id):
            raise InvalidParameterValue(
                f"Value {account_id} for parameter PrincipalId is invalid. Reason: Unable to verify."
            )
    if not actions:
        raise MissingParameter("The request must contain the parameter ActionName.")
    if len(actions) > MAX_ACTIONS_PER_STATEMENT:
        raise OverLimit(f"{len(actions)} Actions were found, maximum allowed is {MAX_ACTIONS_PER_STATEMENT}.")
    for action in actions:
        if action not in GRANTABLE_ACTIONS:
            raise InvalidParameterValue(
                f"Value SQS:{action} for parameter ActionName is invalid. "
                "Reason: Please refer to the appropriate WSDL for a list of valid actions."
            )
    document = _document(policy, queue_arn)
    statements: list[Any] = document["Statement"]
    if any(isinstance(statement, Mapping) and statement.get("Sid") == label for statement in statements):
        raise InvalidParameterValue(f"Value {label} for parameter Label is invalid. Reason: Already exists.")
    if len(statements) >= MAX_STATEMENTS:
        raise OverLimit(f"{len(statements) + 1} statements were found, maximum allowed is {MAX_STATEMENTS}.")
    principals = [f"arn:aws:iam::{account_id}:root" for account_id in dict.fromkeys(account_ids)]
    if len(principals) > MAX_PRINCIPALS:
        raise OverLimit(f"{len(principals)} principals were found, maximum allowed is {MAX_PRINCIPALS}.")
    granted = [f"SQS:{action}" for action in dict.fromkeys(actions)]
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            # SQS writes a single principal or action as a string and several as a list.
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": granted[0] if len(granted) == 1 else granted,
            "Resource": queue_arn,
        }
    )
    rendered = _render(document)
    if len(rendered.encode()) > MAX_POLICY_BYTES:
        raise OverLimit(f"Policy is too large. Maximum allowed size is {MAX_POLICY_BYTES} bytes.")
    return rendered


def remove_statement(policy: str | None, *, queue_arn: str, label: str) -> str:
    """The queue policy without the statement `label`; "" when no statement is left (the policy goes)."""
    document = _document(policy, queue_arn)
    statements = document["Statement"]
    remaining = [s for s in statements if not (isinstance(s, Mapping) and s.get("Sid") == label)]
    if len(remaining) == len(statements):
        raise InvalidParameterValue(f"Value {label} for parameter Label is invalid. Reason: can't find label.")
    if not remaining:
        return ""
    document["Statement"] = remaining
    return _render(document)


def _document(policy: str | None, queue_arn: str) -> dict[str, Any]:
    if policy:
        document = json.loads(policy)
        statements = document.get("Statement", [])
        document["Statement"] = statements if isinstance(statements, list) else [statements]
        return document
    return {"Version": POLICY_VERSION, "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}


def _render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))
