"""Whether an IAM role's trust policy lets an AWS service assume the role: the stand-in's own reading of IAM.

A started import job writes its CloudWatch Logs as the job's role, and AWS fails the job when Cognito cannot assume
that role (DG). The stand-in judges the role's trust policy (its ``AssumeRolePolicyDocument`` as moto stored it) for
one request: the service principal ``cognito-idp.amazonaws.com`` calling ``sts:AssumeRole``. These rules are written
from IAM's documentation, never from cognito-privx's own pre-check of the role: a mistake there must not be repeated
here, or a test would pass both the product and its fake.

Sources: the IAM User Guide (https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>.html; quoted from the archived
``awsdocs/iam-user-guide`` commit ``e2b8637``, ``doc_source/<page>.md``): **grammar** ``reference_policies_grammar``;
**principal** ``reference_policies_elements_principal``; **notprincipal** ``reference_policies_elements_notprincipal``;
**action** ``reference_policies_elements_action``; **resource** ``reference_policies_elements_resource``;
**evaluation** ``reference_policies_evaluation-logic_policy-eval-denyallow`` and
``reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay``. **CreateRole**: the IAM API reference's
``CreateRole`` and ``UpdateAssumeRolePolicy`` (error ``MalformedPolicyDocument``).

What is implemented:

1. **The document** (grammar). JSON text, or an object already parsed, holding ``Statement`` and at most ``Version``
   (``2008-10-17`` or ``2012-10-17``) and ``Id``; ``Statement`` is one statement or a list of them ("If the element
   takes an array but only one value is included, the brackets are optional"). A statement holds ``Effect``, exactly
   ``Allow`` or ``Deny``; ``Principal``, "required ... in trust policies for IAM roles", either ``"*"`` or a map of
   ``AWS`` / ``Federated`` / ``Service`` / ``CanonicalUser`` to a string or a list of strings; exactly one of
   ``Action`` / ``NotAction``, a string or a list of strings; optionally ``Sid``, ``Resource`` / ``NotResource`` and a
   ``Condition`` map. "Individual elements must not contain multiple instances of the same key". ``NotPrincipal`` is
   refused: "You cannot use the NotPrincipal element in an IAM identity-based policy or in an IAM role trust policy"
   (notprincipal). A document off this grammar is one IAM would not have stored (CreateRole:
   ``MalformedPolicyDocument``); moto's ``CreateRole`` stores it unchecked, so the stand-in refuses the role instead.
   Text is read as the JSON ``CreateRole`` takes; it is never URL-decoded (only ``GetRole``'s answer is encoded).
2. **The principal** (principal). ``"*"`` matches every principal, and so does ``"*"`` as the value of any entry
   ("you can use * only to specify everyone/anonymous", grammar). Otherwise the ``Service`` entry must name the
   service: a string, or a list ("use an array of multiple service principals as the value of a single Service
   element"). "You cannot use a wildcard to match part of a principal name or ARN": ``cognito-*`` names nothing.
3. **The action** (action). "The prefix and the action name are case insensitive"; ``*`` is a wildcard, also "as
   part of the action name". A ``NotAction`` statement applies to every action its list does not match.
4. **The decision** (evaluation). "By default, all requests are implicitly denied"; a request "must be explicitly
   allowed"; "An explicit deny overrides an explicit allow". The order of statements does not matter.

What the documentation leaves open is settled against the role, so that the stand-in is never laxer than IAM: a
statement that *may* apply to the request counts when it is a ``Deny`` and does not count when it is an ``Allow``.
A statement may apply (each **unverified**) when:

- it has a non-empty ``Condition``: which context keys Cognito's request to assume the role carries is not
  documented, so no condition can be judged;
- an action pattern matches only if ``?`` stands for one character (IAM documents ``?`` for resource ARNs,
  resource, and not for actions);
- its ``Service`` names the service in another letter case (whether service principals are compared ignoring case
  is not documented).
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any

__all__ = ["ASSUME_ROLE", "COGNITO_SERVICE", "MalformedPolicy", "may_assume_role", "statements_of"]

COGNITO_SERVICE = "cognito-idp.amazonaws.com"
ASSUME_ROLE = "sts:AssumeRole"

_VERSIONS = ("2008-10-17", "2012-10-17")  # grammar: <version_block>
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})  # grammar: policy
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)  # grammar: <statement>
_PRINCIPAL_TYPES = frozenset({"AWS", "Federated", "Service", "CanonicalUser"})  # grammar: <principal_map_entry>


class MalformedPolicy(ValueError):
    """A trust policy IAM would refuse to store (``MalformedPolicyDocument``)."""


class _Match(enum.IntEnum):
    """Whether a statement applies to the request: surely not, perhaps (the documentation leaves it open), surely."""

    NO = 0
    MAYBE = 1
    YES = 2


def may_assume_role(document: Any, service: str = COGNITO_SERVICE) -> bool:
    """Whether the trust policy ``document`` (JSON text, or a parsed object) lets the AWS service principal
    ``service`` call ``sts:AssumeRole``: an ``Allow`` surely applies and no ``Deny`` may apply. A malformed document
    lets no one."""
    try:
        statements = statements_of(document)
    except MalformedPolicy:
        return False
    allowed = denied = False
    for statement in statements:
        match = _applies(statement, service, ASSUME_ROLE)
        if statement["Effect"] == "Allow":
            allowed = allowed or match is _Match.YES
        else:
            denied = denied or match is not _Match.NO
    return allowed and not denied


def statements_of(document: Any) -> list[dict[str, Any]]:
    """The statements of a well-formed trust policy (point 1 of the module's docstring); :class:`MalformedPolicy`
    for anything else."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document, object_pairs_hook=_no_repeated_keys)
        except ValueError as e:  # json.JSONDecodeError is one
            raise MalformedPolicy(f"not a JSON policy: {e}") from None
    if not isinstance(document, dict) or "Statement" not in document or not set(document) <= _TOP_KEYS:
        raise MalformedPolicy("a policy is an object of Statement, and at most Version and Id")
    if "Version" in document and document["Version"] not in _VERSIONS:
        raise MalformedPolicy(f"Version {document['Version']!r} is neither of {', '.join(_VERSIONS)}")
    statements = document["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicy("Statement is one statement or a list of them")
    for statement in statements:
        _check_statement(statement)
    return statements


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise MalformedPolicy(f"repeated keys: {', '.join(repeated)}")
    return dict(pairs)


def _check_statement(statement: Any) -> None:
    if not isinstance(statement, dict) or not set(statement) <= _STATEMENT_KEYS:
        raise MalformedPolicy("a statement is an object of the grammar's elements")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise MalformedPolicy("Effect is Allow or Deny")
    if "NotPrincipal" in statement:
        raise MalformedPolicy("a role trust policy cannot use NotPrincipal")
    if "Principal" not in statement:
        raise MalformedPolicy("a role trust policy names a Principal in every statement")
    principal = statement["Principal"]
    if principal != "*":
        if not isinstance(principal, dict) or not principal or not set(principal) <= _PRINCIPAL_TYPES:
            raise MalformedPolicy("Principal is * or a map of AWS, Federated, Service, CanonicalUser")
        for value in principal.values():
            _strings(value)
    if ("Action" in statement) == ("NotAction" in statement):
        raise MalformedPolicy("a statement has exactly one of Action and NotAction")
    _strings(statement.get("Action", statement.get("NotAction")))
    if not isinstance(statement.get("Condition", {}), dict):
        raise MalformedPolicy("Condition is a map")


def _strings(value: Any) -> list[str]:
    """A string, or a non-empty list of strings, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    raise MalformedPolicy(f"{value!r} is neither a string nor a list of strings")


def _applies(statement: dict[str, Any], service: str, action: str) -> _Match:
    """Whether a (well-formed) statement applies to ``service`` calling ``action``: the least of its principal,
    action and condition matches."""
    if "Action" in statement:
        acts = _action_match(_strings(statement["Action"]), action)
    else:
        acts = _Match(_Match.YES - _action_match(_strings(statement["NotAction"]), action))  # NO <-> YES
    held = _Match.MAYBE if statement.get("Condition") else _Match.YES
    return min(_principal_match(statement["Principal"], service), acts, held)


def _principal_match(principal: Any, service: str) -> _Match:
    if principal == "*":
        return _Match.YES
    values = {kind: _strings(value) for kind, value in principal.items()}
    if any("*" in listed for listed in values.values()):
        return _Match.YES
    services = values.get("Service", [])
    if service in services:
        return _Match.YES
    if any(named.lower() == service.lower() for named in services):
        return _Match.MAYBE
    return _Match.NO


def _action_match(patterns: list[str], action: str) -> _Match:
    return max((_pattern_match(pattern, action) for pattern in patterns), default=_Match.NO)


def _pattern_match(pattern: str, action: str) -> _Match:
    if _glob(pattern, question_mark=False).fullmatch(action):
        return _Match.YES
    if "?" in pattern and _glob(pattern, question_mark=True).fullmatch(action):
        return _Match.MAYBE
    return _Match.NO


def _glob(pattern: str, *, question_mark: bool) -> re.Pattern[str]:
    """``*`` as any run of characters (and ``?`` as one character when ``question_mark``), every other character
    itself, ignoring case."""
    parts = [".*" if c == "*" else "." if c == "?" and question_mark else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
