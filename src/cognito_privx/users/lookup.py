"""Finding users: one by email under the pool's username model (and the errors when that cannot be done), or all.

Pools made elsewhere are read for their username model first (:mod:`cognito_privx.cognito.usernames`, from the
description ``PoolUsers.open`` already has). In a legacy case-sensitive pool Cognito resolves only the exact
capitalisation, so :meth:`UserLookup.find` also searches the case variants of the address (a prefix query per
capitalisation of its first letters, :func:`_case_prefixes`), and refuses to guess when two users' emails differ
only in case. Pools whose users do not sign in with their email are refused by every command that looks a user up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from cognito_privx.cognito import CognitoGateway
from cognito_privx.cognito.usernames import UsernameModel
from cognito_privx.config import fold_group
from cognito_privx.errors import AmbiguousResourceError, CognitoError, ConflictError
from cognito_privx.users.calls import Request, paged
from cognito_privx.users.model import UserInfo, email_of

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef, UserTypeTypeDef


def listing_keeps(info: UserInfo, folded_group: str | None, status: str | None) -> bool:
    """Whether a listing of one group (``folded_group``, already :func:`~cognito_privx.config.fold_group`-ed:
    compared as PrivX's rule matcher compares groups) and one ``UserStatus`` shows ``info``; ``None``: any. A user
    of several native groups has them comma-joined in ``info.group``."""
    if status is not None and info.status != status:
        return False
    return folded_group is None or folded_group in {fold_group(g) for g in (info.group or "").split(",")}


@dataclass(frozen=True)
class UserLookup:
    """Finding a user by email under the pool's username model (:mod:`cognito_privx.cognito.usernames`).

    A pool like ours answers with one ``AdminGetUser``: Cognito resolves every capitalisation. A legacy
    case-sensitive pool resolves only the exact one and may hold ``Bob@x`` and ``bob@x`` as two users: the case
    variants are listed too, each is confirmed by a read, and two of them are an error, never a guess.
    """

    gw: CognitoGateway
    request: Request
    pool_id: str
    model: UsernameModel
    # The pool keeps a changed email unchanged until the user verifies it (UserAttributeUpdateSettings
    # AttributesRequireVerificationBeforeUpdate holds "email"): the new address finds nobody meanwhile.
    email_change_pending: bool = False

    def find(self, email: str) -> AdminGetUserResponseTypeDef | None:
        """The user whose email is ``email`` (an ``AdminGetUser`` answer), ``None`` when there is none.

        Act on the result by its ``Username`` (in email pools the ``sub``), never by ``email``: in a legacy pool the
        address given may differ in case from the one Cognito knows.

        Raises ``AmbiguousUserError`` when two users' emails differ from ``email`` only in case (never a guess),
        ``ConflictError`` when the pool's users do not sign in with their email.
        """
        self.require_email_pool()
        exact = self.get(email)
        if self.model.case_insensitive:
            # Cognito resolves every capitalisation itself in these pools and refuses a second user whose email
            # differs only in case (Developer Guide, "User pool case sensitivity"): one call answers.
            return exact
        # A case-sensitive pool resolves only the exact capitalisation (UsernameConfigurationType: "users must sign
        # in using the exact capitalization"), and may hold Bob@x and bob@x as two users.
        found: dict[str, AdminGetUserResponseTypeDef] = {exact["Username"]: exact} if exact is not None else {}
        for listed in self._listed_case_variants(email):
            name = listed["Username"]
            if name in found:
                continue
            # ListUsers is eventually consistent (API reference: "To validate the existence or configuration of an
            # individual user, use AdminGetUser"): keep only what a read by the real user name confirms now.
            user = self.get(name)
            if user is not None and email_of(user).lower() == email.lower():
                found[name] = user
        if len(found) > 1:
            users = ", ".join(f"{email_of(u)} ({name})" for name, u in sorted(found.items()))
            raise AmbiguousUserError(
                f"{len(found)} users in pool {self.pool_id} have the email {email} in different capitalisations: "
                f"{users}",
                "the pool compares emails case-sensitively, so these are separate accounts and cognito-privx will "
                "not guess which one you mean: delete or disable the extra one in the AWS console",
            )
        return next(iter(found.values()), None)

    def require(self, email: str) -> AdminGetUserResponseTypeDef:
        """:meth:`find`, raising :class:`UserNotFound` when there is no such user."""
        user = self.find(email)
        if user is None:
            raise UserNotFound(
                f"no user {email}{self.any_case()} in pool {self.pool_id}",
                self.not_found_hint("check the address, or add the user with add-user"),
            )
        return user

    def not_found_hint(self, hint: str) -> str:
        """``hint``, and in a pool that verifies email changes first, where a changed address is meanwhile."""
        if not self.email_change_pending:
            return hint
        return (
            f"{hint}; if the user's email was changed to this address, the pool keeps the old one until they verify "
            "the new one (AttributesRequireVerificationBeforeUpdate): use the old address, listed by list-users"
        )

    def get(self, username: str) -> AdminGetUserResponseTypeDef | None:
        """``AdminGetUser`` by the real user name; ``None`` when there is no such user."""
        answer = self.request(
            "admin_get_user", absent="UserNotFoundException", UserPoolId=self.pool_id, Username=username
        )
        return cast("AdminGetUserResponseTypeDef | None", answer)

    def user_pages(self, where: str | None = None) -> Iterator[list[UserTypeTypeDef]]:
        """``ListUsers``, page by page, each page one request; ``where`` is a ``Filter`` expression."""
        params = {"Filter": where} if where else {}
        pages = self.gw.pages(
            "list_users", paged(self.request, "list_users"), UserPoolId=self.pool_id, Limit=60, **params
        )
        for page in pages:
            yield page.get("Users", [])

    def listed(
        self,
        attribute: str,
        group: str | None = None,
        on_page: Callable[[int], None] | None = None,
        *,
        status: str | None = None,
    ) -> list[UserInfo]:
        """Every user (optionally of one group, of one ``UserStatus``); ``attribute`` is the group attribute. Custom
        attributes cannot be filtered server-side: a paged scan. A user of several native groups has them
        comma-joined in the attribute. ``group`` is compared as PrivX's rule matcher compares it, folded
        (:func:`~cognito_privx.config.fold_group`): ``OPS`` finds the users of ``ops``, who get its roles."""
        users: list[UserInfo] = []
        seen = 0
        wanted = None if group is None else fold_group(group)
        for page in self.user_pages():
            seen += len(page)
            listed = (UserInfo.from_cognito(raw, attribute) for raw in page)
            users += [info for info in listed if listing_keeps(info, wanted, status)]
            if on_page is not None:
                on_page(seen)
        return sorted(users, key=lambda u: u.email)

    def _listed_case_variants(self, email: str) -> list[UserTypeTypeDef]:
        """Users listed with an email equal to ``email`` but for case (ListUsers entries, possibly stale).

        ListUsers can only filter ``email`` by ``=`` or ``^=`` (prefix), and whether AWS compares those values
        case-insensitively is documented inconsistently (the API reference marks only ``username``, ``status`` and
        ``cognito:user_status``); moto compares them exactly (``str.startswith`` in
        ``moto/cognitoidp/models.py``, ``list_users``). So: one prefix query per capitalisation of the first three
        letters (at most 8), comparing whole emails case-folded here. Correct either way, and far cheaper than a
        scan of the pool (ListUsers allows 30 requests/s per account).
        """
        wanted = email.lower()
        listed: dict[str, UserTypeTypeDef] = {}
        for prefix in _case_prefixes(email):
            for page in self.user_pages(f'email ^= "{_quote(prefix)}"'):
                for user in page:
                    if email_of(user).lower() == wanted:
                        listed.setdefault(user["Username"], user)
        return list(listed.values())

    def require_email_pool(self) -> None:
        if self.model.signs_in_with_email:
            return
        raise ConflictError(
            f"cannot manage the users of pool {self.pool_id} by email: {self.model.unsuitable_reason()}",
            "cognito-privx manages users of pools whose users sign in with their email; use a pool made by "
            "`cognito-privx setup` (list-users still works here)",
        )

    def any_case(self) -> str:
        """`` in any capitalisation`` for messages about a case-sensitive pool, else ``""``."""
        return " in any capitalisation" if self.model.case_sensitive else ""


class UserNotFound(CognitoError):
    """The user does not exist (exit 1: the job cannot be done)."""


class AmbiguousUserError(AmbiguousResourceError):
    """A case-sensitive pool holds two or more users whose emails differ only in case (exit 1); all are listed."""


def _quote(value: str) -> str:
    """A ListUsers filter value: quotation marks and backslashes escaped with a backslash (API reference)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _case_prefixes(email: str, letters: int = 3) -> list[str]:
    """Every capitalisation of ``email``'s start, up to its ``letters``-th letter and the caseless characters after.

    ``"bob.smith@x"`` → ``["bob.", "boB.", ..., "BOB."]`` (8). Addresses are ASCII (``validate_email``).
    """
    start: list[str] = []
    cased = 0
    for ch in email:
        if ch.lower() != ch.upper():
            if cased == letters:
                break
            cased += 1
        start.append(ch)
    options = [sorted({ch.lower(), ch.upper()}) for ch in start]
    return ["".join(p) for p in itertools.product(*options)]


__all__ = ["AmbiguousUserError", "UserLookup", "UserNotFound", "listing_keeps"]
