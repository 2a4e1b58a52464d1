"""Queue policy evaluation: principals, actions with wildcards, resources, explicit deny, conditions."""

from __future__ import annotations

import json

import pytest

from dynaqueue.domain.access_keys import Principal
from dynaqueue.domain.permissions import add_statement
from dynaqueue.domain.policy_evaluation import Decision, evaluate, glob_match

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:orders"
FRIEND = Principal("111111111111")
STRANGER = Principal("222222222222")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, action, resource=QUEUE_ARN, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def decide(document, principal=FRIEND, action="SendMessage", resource=QUEUE_ARN):
    return evaluate(document, principal=principal, action=action, resource_arn=resource)


def test_an_add_permission_grant_allows_that_account_that_action_only():
    document = add_statement(
        None, queue_arn=QUEUE_ARN, label="l", account_ids=["111111111111"], actions=["SendMessage"]
    )

    assert decide(document) is Decision.ALLOW
    assert decide(document, action="ReceiveMessage") is Decision.IMPLICIT_DENY
    assert decide(document, principal=STRANGER) is Decision.IMPLICIT_DENY
    assert decide(document, resource="arn:aws:sqs:us-east-1:000000000000:other") is Decision.IMPLICIT_DENY


def test_no_policy_denies_implicitly():
    assert decide(None) is Decision.IMPLICIT_DENY
    assert decide("not json") is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": "111111111111"}, {"AWS": ["arn:aws:iam::111111111111:root"]}],
)
def test_principals_naming_the_account_or_anyone_match(principal):
    assert decide(policy(allow(principal, "sqs:SendMessage"))) is Decision.ALLOW


def test_a_user_principal_matches_only_that_user():
    document = policy(allow({"AWS": "arn:aws:iam::111111111111:user/alice"}, "sqs:*"))

    assert decide(document, principal=Principal("111111111111", "alice")) is Decision.ALLOW
    assert decide(document, principal=Principal("111111111111", "bob")) is Decision.IMPLICIT_DENY
    assert decide(document) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "allowed"), [("SQS:send*", True), ("sqs:*Message", True), ("sqs:Receive?", False), ("*", True)]
)
def test_action_wildcards_match_case_insensitively(pattern, allowed):
    expected = Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
    assert decide(policy(allow("*", pattern))) is expected


def test_resource_wildcards_match_queue_arns():
    assert decide(policy(allow("*", "sqs:*", "arn:aws:sqs:*:000000000000:ord?rs"))) is Decision.ALLOW
    assert decide(policy(allow("*", "sqs:*", "arn:aws:sqs:*:000000000000:x*"))) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow():
    document = policy(
        allow("*", "sqs:*"), {"Effect": "Deny", "Principal": {"AWS": "111111111111"}, "Action": "sqs:Send*"}
    )

    assert decide(document) is Decision.EXPLICIT_DENY
    assert decide(document, principal=STRANGER) is Decision.ALLOW


def test_not_action_covers_every_other_action():
    document = policy({"Effect": "Allow", "Principal": "*", "NotAction": "sqs:PurgeQueue", "Resource": QUEUE_ARN})

    assert decide(document) is Decision.ALLOW
    assert decide(document, action="PurgeQueue") is Decision.IMPLICIT_DENY


def test_conditions_fail_closed():
    condition = {"Bool": {"aws:SecureTransport": "true"}}

    assert decide(policy(allow("*", "sqs:*", Condition=condition))) is Decision.IMPLICIT_DENY
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Condition": condition}
    assert decide(policy(allow("*", "sqs:*"), deny)) is Decision.EXPLICIT_DENY


def test_the_glob_matcher_stays_fast_on_hostile_patterns():
    assert not glob_match("*a" * 200 + "b", "a" * 5000)
    assert glob_match("a*b?c*", "aXXbYcZZ")
    assert not glob_match("a*b?c", "abc")
