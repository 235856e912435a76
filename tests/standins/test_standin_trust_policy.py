"""The import-job stand-in's own reading of an IAM trust policy (``sandbox/import_jobs/trust_policy.py``).

The stand-in decides whether Cognito may assume a job's CloudWatch Logs role by IAM's documentation, not by
cognito-privx's pre-check of the role (``users.jobs.trust.trusts_cognito``, tests/users/test_import_jobs.py).
Where the two readings differ, the tests marked "differs" pin the stand-in's: what IAM's documentation leaves
open counts against the role, and a document IAM would not store lets no one in.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_privx.sandbox.import_jobs.trust_policy import MalformedPolicy, may_assume_role, statements_of

ALLOW = {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:AssumeRole"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("statement", "trusted"),
    [
        (ALLOW, True),
        ({**ALLOW, "Action": "sts:assumerole"}, True),  # action names ignore case
        ({**ALLOW, "Action": "STS:AssumeRole"}, True),  # so do service prefixes
        ({**ALLOW, "Principal": {"Service": ["ecs.amazonaws.com", "cognito-idp.amazonaws.com"]}}, True),
        ({**ALLOW, "Action": "sts:Assume*"}, True),
        ({**ALLOW, "Action": "*"}, True),
        ({**ALLOW, "Action": ["s3:GetObject", "sts:AssumeRole"]}, True),
        ({**ALLOW, "Principal": "*"}, True),
        ({**ALLOW, "Principal": {"AWS": "*"}}, True),
        ({**ALLOW, "Principal": {"Service": "lambda.amazonaws.com"}}, False),
        ({**ALLOW, "Principal": {"Service": "cognito-*"}}, False),  # no wildcard inside a principal name
        ({**ALLOW, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}, False),
        ({**ALLOW, "Action": "sts:AssumeRoleWithSAML"}, False),
        ({"Effect": "Allow", "Principal": ALLOW["Principal"], "NotAction": "sts:AssumeRole"}, False),
        ({"Effect": "Allow", "Principal": ALLOW["Principal"], "NotAction": "iam:PassRole"}, True),
    ],
)
def test_allow_statements_are_read_as_iam_documents_them(statement: dict[str, Any], trusted: bool) -> None:
    assert may_assume_role(policy(statement)) is trusted


def test_no_allow_no_trust() -> None:
    assert not may_assume_role(policy({**ALLOW, "Effect": "Deny"}))


def test_an_explicit_deny_wins_in_any_order() -> None:
    deny_all = {"Effect": "Deny", "Principal": "*", "NotAction": "iam:PassRole"}
    assert not may_assume_role(policy(ALLOW, deny_all))
    assert not may_assume_role(policy(deny_all, ALLOW))
    assert may_assume_role(policy(ALLOW, {**deny_all, "Principal": {"Service": "ec2.amazonaws.com"}}))


def test_one_statement_without_brackets_and_json_text() -> None:
    assert may_assume_role({"Statement": ALLOW})  # Version is optional
    assert may_assume_role(json.dumps(policy(ALLOW)))
    assert may_assume_role(json.dumps(policy(ALLOW)).encode())


def test_the_sandboxs_own_logs_role_is_trusted() -> None:
    from cognito_privx.sandbox.import_jobs.logs_role import LOGS_ROLE_TRUST_POLICY

    assert may_assume_role(json.dumps(LOGS_ROLE_TRUST_POLICY))


# -- where the stand-in's reading differs from users.jobs.trust.trusts_cognito -----------------------------------


def test_differs_a_conditional_allow_does_not_count() -> None:
    """No condition can be judged (Cognito's request context is undocumented): an Allow with one may not apply."""
    conditional = {**ALLOW, "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
    assert not may_assume_role(policy(conditional))
    assert may_assume_role(policy(conditional, ALLOW))
    assert may_assume_role(policy({**ALLOW, "Condition": {}}))  # an empty condition is none


def test_differs_a_conditional_deny_counts() -> None:
    """A Deny whose condition may hold may apply: it wins (the product's pre-check lets it pass)."""
    deny_all = {"Effect": "Deny", "Principal": {"Service": "*"}, "NotAction": "iam:PassRole"}
    conditional = {**deny_all, "Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}}
    assert not may_assume_role(policy(ALLOW, conditional))


def test_differs_not_principal_makes_the_document_malformed() -> None:
    """IAM: "You cannot use the NotPrincipal element in ... an IAM role trust policy"."""
    deny_others = {"Effect": "Deny", "NotPrincipal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "*"}
    assert not may_assume_role(policy(ALLOW, deny_others))
    with pytest.raises(MalformedPolicy, match="NotPrincipal"):
        statements_of(policy(ALLOW, deny_others))


@pytest.mark.parametrize(
    "document",
    [
        policy({**ALLOW, "Effect": "allow"}),  # Effect is "Allow" or "Deny", exactly
        policy({k: v for k, v in ALLOW.items() if k != "Principal"}),  # a trust policy names a principal
        policy({**ALLOW, "NotAction": "iam:PassRole"}),  # Action and NotAction both
        policy({k: v for k, v in ALLOW.items() if k != "Action"}),  # neither
        policy({**ALLOW, "Comment": "not an element"}),
        policy({**ALLOW, "Principal": "cognito-idp.amazonaws.com"}),  # a bare name is no principal
        policy({**ALLOW, "Principal": {"Services": "cognito-idp.amazonaws.com"}}),
        policy({**ALLOW, "Action": ["sts:AssumeRole", 1]}),
        policy({**ALLOW, "Condition": "aws:SourceAccount"}),
        {"Version": "2012-10-17"},  # no Statement
        {"Version": "2012-10-17", "Statement": []},
        {"Version": "2020-01-01", "Statement": [ALLOW]},
        {"Version": "2012-10-17", "Statement": [ALLOW], "Extra": 1},
        '{"Statement": [], "Statement": [' + json.dumps(ALLOW) + "]}",  # a repeated key
        "not json",
        json.dumps(policy(ALLOW)).replace("{", "%7B"),  # URL-encoded text: CreateRole takes JSON itself
        None,
        [ALLOW],
    ],
)
def test_differs_a_document_iam_would_not_store_trusts_no_one(document: Any) -> None:
    assert not may_assume_role(document)


def test_differs_a_question_mark_in_an_action_is_not_surely_a_wildcard() -> None:
    """IAM documents ``?`` for resource ARNs only: an Allow that needs it does not count, a Deny that may match
    does."""
    assert not may_assume_role(policy({**ALLOW, "Action": "sts:AssumeRol?"}))
    assert not may_assume_role(policy(ALLOW, {**ALLOW, "Effect": "Deny", "Action": "sts:Assume?ole"}))
    assert may_assume_role(policy({**ALLOW, "Action": ["sts:AssumeRol?", "sts:AssumeRole"]}))


def test_differs_brackets_in_an_action_are_literal() -> None:
    """No character classes: ``[R]`` is two brackets and an R (fnmatch would read a class)."""
    assert not may_assume_role(policy({**ALLOW, "Action": "sts:Assume[R]ole"}))


def test_differs_a_service_named_in_another_case_may_be_it() -> None:
    upper = {"Service": "Cognito-IDP.amazonaws.com"}
    assert not may_assume_role(policy({**ALLOW, "Principal": upper}))
    assert not may_assume_role(policy(ALLOW, {**ALLOW, "Effect": "Deny", "Principal": upper}))


def test_differs_a_star_in_any_principal_entry_is_everyone() -> None:
    """IAM's grammar: "you can use * only to specify everyone/anonymous"."""
    assert may_assume_role(policy({**ALLOW, "Principal": {"Federated": "*"}}))
    assert not may_assume_role(policy(ALLOW, {**ALLOW, "Effect": "Deny", "Principal": {"CanonicalUser": "*"}}))
