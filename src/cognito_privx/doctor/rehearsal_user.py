"""The login rehearsal's identity: one fixed Cognito user per ``[roles]`` group
(:func:`cognito_privx.desired.rehearsal_email`), reused run after run, enabled only while a rehearsal runs.

Why fixed and never deleted: PrivX keys a directory's user by the ID token's ``sub`` (docs/privx-api.md#users; the
emulator's ``users.login``) and has no API to delete a directory user (privx-sdk-go's RoleStore has none), so a
Cognito user deleted and made again (a new ``sub``) would leave one more PrivX record holding the group's roles
every run. Kept, the same ``sub`` signs in and PrivX updates its one record.

Each run (:meth:`RehearsalUser.prepare`): the user is made if absent, else its group attribute set to exactly the
group (and, with native groups, its groups to exactly that one), enabled, and given a fresh random permanent
password that is never shown nor kept. After the walk (:meth:`RehearsalUser.put_away`): its PrivX sessions and
connections ended (:func:`cognito_privx.privx.sessions.end_person`; the walk leaves one session), its refresh
tokens revoked (``AdminUserGlobalSignOut``) and the user disabled (``AdminDisableUser``), so the identity cannot
sign in between rehearsals. ``teardown`` deletes it with the pool.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState, rehearsal_email
from cognito_privx.errors import CognitoError, CognitoPrivxError, aws_error_code
from cognito_privx.privx.sessions import end_person


@dataclass
class Cleanup:
    """What putting the identity away did: ``privx`` (the sessions ended, or why not) and ``cognito_error`` (why
    signing out or disabling failed; ``None``: done)."""

    privx: str
    privx_error: CognitoPrivxError | None = None
    cognito_error: CognitoPrivxError | None = None


class RehearsalUser:
    """The rehearsal identity of ``group`` in pool ``pool_id``: its ``email`` (the username), ``sub`` and this
    run's ``password`` once :meth:`prepare` has run."""

    def __init__(self, gw: cognito.CognitoGateway, desired: DesiredState, pool_id: str, group: str) -> None:
        self.gw, self.desired, self.pool_id, self.group = gw, desired, pool_id, group
        self.email = rehearsal_email(group)
        self.password = ""
        self.sub = ""
        self.prepared = False

    def _attributes(self) -> list[dict[str, str]]:
        return [
            {"Name": "email", "Value": self.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": self.desired.attribute.attribute_name, "Value": self.group},
        ]

    def prepare(self) -> None:
        """Make or reset the identity for this run (see the module's docstring). Raises :class:`CognitoError`."""
        pool, name = self.pool_id, self.email
        try:
            user = self.gw.call("admin_get_user", UserPoolId=pool, Username=name)
            attributes = user.get("UserAttributes") or []
            group_attribute = [{"Name": self.desired.attribute.attribute_name, "Value": self.group}]
            self.gw.call("admin_update_user_attributes", UserPoolId=pool, Username=name, UserAttributes=group_attribute)
            if self.desired.groups:
                listed = self.gw.call("admin_list_groups_for_user", UserPoolId=pool, Username=name, Limit=60)
                for other in listed.get("Groups") or []:
                    if other.get("GroupName") != self.group:
                        self.gw.call(
                            "admin_remove_user_from_group", UserPoolId=pool, Username=name, GroupName=other["GroupName"]
                        )
        except CognitoError as e:
            if aws_error_code(e) != "UserNotFoundException":
                raise
            made = self.gw.call(
                "admin_create_user",
                UserPoolId=pool,
                Username=name,
                MessageAction="SUPPRESS",
                UserAttributes=self._attributes(),
            )
            attributes = (made.get("User") or {}).get("Attributes") or []
        self.prepared = True
        self.sub = next((str(a.get("Value")) for a in attributes if a.get("Name") == "sub"), "")
        if self.desired.groups:
            self.gw.call("admin_add_user_to_group", UserPoolId=pool, Username=name, GroupName=self.group)
        self.gw.call("admin_enable_user", UserPoolId=pool, Username=name)
        self.password = "Aa1!" + secrets.token_urlsafe(24)
        self.gw.call("admin_set_user_password", UserPoolId=pool, Username=name, Password=self.password, Permanent=True)

    def put_away(self, px: privx.PrivXClient, directory_id: str) -> Cleanup:
        """End the identity's PrivX sessions and connections, sign it out of Cognito and disable it. Never raises
        for what the check should report: the failures are in the :class:`Cleanup`."""
        self.password = ""
        cleanup = Cleanup("its PrivX session ended")
        try:
            ended = end_person(px, directory_id, sub=self.sub, email=self.email)
            if not ended.records:
                cleanup.privx = "PrivX has no record of it"
            elif not (ended.sessions or ended.connections):
                cleanup.privx = "it had no live PrivX session"
            elif ended.sessions != 1 or ended.connections:
                cleanup.privx = f"its PrivX sessions ended ({ended.words()})"
        except CognitoPrivxError as e:
            cleanup.privx, cleanup.privx_error = f"its PrivX session was not ended ({e.message})", e
        if not self.prepared:
            return cleanup
        try:
            self.gw.call("admin_user_global_sign_out", UserPoolId=self.pool_id, Username=self.email)
            self.gw.call("admin_disable_user", UserPoolId=self.pool_id, Username=self.email)
        except CognitoError as e:
            cleanup.cognito_error = e
        return cleanup


__all__ = ["Cleanup", "RehearsalUser"]
