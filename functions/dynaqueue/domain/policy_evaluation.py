"""Evaluating a queue's `Policy` for a principal, an action and the queue's ARN, as IAM does.

An explicit Deny wins over any Allow; without a matching Allow the answer is an implicit deny.
Principals are `*`, account ids, `arn:aws:iam::<account>:root` (the whole account) and
`arn:aws:iam::<account>:user/<name>`; actions and resources match with IAM's `*` and `?`
wildcards (actions case-insensitively). Conditions are not evaluated, and fail closed: an
Allow with a Condition grants nothing, a Deny with a Condition always applies. Work is bounded:
a policy over 64 KiB grants nothing, at most 100 statements are read, and matching a pattern
costs at most its length times the text's.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

from dynaqueue.domain.access_keys import Principal

ACTION_PREFIX = "sqs:"
MAX_POLICY_CHARS = 64 * 1024
MAX_STATEMENTS = 100


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


def evaluate(policy: str | None, *, principal: Principal, action: str, resource_arn: str) -> Decision:
    """Whether the policy lets `principal` perform `action` (e.g. "SendMessage") on `resource_arn`."""
    allowed = False
    for statement in _statements(policy):
        if not _applies(statement, principal, action, resource_arn):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect == "Allow" and "Condition" not in statement:
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def glob_match(pattern: str, text: str) -> bool:
    """IAM wildcards: `*` any run of characters, `?` one character; O(len(pattern) * len(text)) at worst."""
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]) and pattern[p] != "*":
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, resume = p, t
            p += 1
        elif star >= 0:
            p, resume = star + 1, resume + 1
            t = resume
        else:
            return False
    return all(character == "*" for character in pattern[p:])


def _statements(policy: str | None) -> list[Mapping[str, Any]]:
    if not policy or len(policy) > MAX_POLICY_CHARS:
        return []
    try:
        document = json.loads(policy)
    except ValueError:
        return []
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return []
    return [statement for statement in statements[:MAX_STATEMENTS] if isinstance(statement, Mapping)]


def _applies(statement: Mapping[str, Any], principal: Principal, action: str, resource_arn: str) -> bool:
    return (
        _matches(statement, "Principal", "NotPrincipal", lambda value: _principal_matches(value, principal))
        and _matches(statement, "Action", "NotAction", lambda value: _action_matches(value, action))
        and _matches(statement, "Resource", "NotResource", lambda value: _resource_matches(value, resource_arn), True)
    )


def _matches(statement: Mapping[str, Any], key: str, not_key: str, test: Any, absent: bool = False) -> bool:
    """`key` lists what the statement covers, `not_key` what it covers all but; neither: `absent`."""
    if key in statement:
        return test(statement[key])
    if not_key in statement:
        return not test(statement[not_key])
    return absent


def _principal_matches(value: Any, principal: Principal) -> bool:
    if value == "*":
        return True
    if not isinstance(value, Mapping):
        return False
    names = {principal.account_id, f"arn:aws:iam::{principal.account_id}:root", principal.arn, "*"}
    return any(candidate in names for candidate in _strings(value.get("AWS")))


def _action_matches(value: Any, action: str) -> bool:
    qualified = (ACTION_PREFIX + action).lower()
    return any(glob_match(pattern.lower(), qualified) for pattern in _strings(value))


def _resource_matches(value: Any, resource_arn: str) -> bool:
    return any(glob_match(pattern, resource_arn) for pattern in _strings(value))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
