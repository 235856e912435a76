"""``plan.diff_fields`` and ``plan.change_for``, directly: pure functions, no moto, no emulator."""

from __future__ import annotations

from cognito_privx.plan import SENSITIVE, Action, Change, FieldChange, change_for, diff_fields


def test_equal_fields_are_no_change() -> None:
    current = {"Name": "privx", "Enabled": True, "Timeout": 5}
    assert diff_fields(current, dict(current)) == ()


def test_only_the_desired_keys_are_compared() -> None:
    # What we do not manage may differ, or be absent from the desired state altogether.
    assert diff_fields({"Name": "privx", "LastModified": "yesterday"}, {"Name": "privx"}) == ()


def test_a_differing_scalar_is_one_field_change() -> None:
    changes = diff_fields({"Name": "old", "Enabled": True}, {"Name": "new", "Enabled": True})
    assert changes == (FieldChange("Name", "old", "new"),)


def test_an_absent_field_changes_from_none() -> None:
    assert diff_fields({}, {"CallbackURLs": ["https://x/cb"]}) == (FieldChange("CallbackURLs", None, ["https://x/cb"]),)


def test_a_present_field_the_desired_state_sets_to_none_is_a_change() -> None:
    assert diff_fields({"Domain": "acme"}, {"Domain": None}) == (FieldChange("Domain", "acme", None),)


def test_lists_of_scalars_compare_as_sets() -> None:
    # Order and repeats do not matter: Cognito returns scopes and flows in its own order.
    current = {"AllowedOAuthScopes": ["profile", "openid", "email", "email"]}
    assert diff_fields(current, {"AllowedOAuthScopes": ["openid", "email", "profile"]}) == ()


def test_a_tuple_matches_an_equal_list_and_is_shown_as_a_list() -> None:
    assert diff_fields({"Flows": ["code"]}, {"Flows": ("code",)}) == ()
    (change,) = diff_fields({"Flows": ["implicit"]}, {"Flows": ("code",)})
    assert change == FieldChange("Flows", ["implicit"], ["code"]) and isinstance(change.after, list)


def test_a_missing_or_extra_list_item_is_a_change() -> None:
    assert diff_fields({"Scopes": ["openid"]}, {"Scopes": ["openid", "email"]}) == (
        FieldChange("Scopes", ["openid"], ["openid", "email"]),
    )
    assert diff_fields({"Scopes": ["openid", "phone"]}, {"Scopes": ["openid"]}) == (
        FieldChange("Scopes", ["openid", "phone"], ["openid"]),
    )


def test_lists_of_objects_compare_in_order() -> None:
    # Only lists of scalars are sets: a rule tree or schema list keeps its order and its objects whole.
    a, b = {"name": "a"}, {"name": "b"}
    assert diff_fields({"Rules": [a, b]}, {"Rules": [a, b]}) == ()
    assert diff_fields({"Rules": [b, a]}, {"Rules": [a, b]}) == (FieldChange("Rules", [b, a], [a, b]),)


def test_superset_ok_is_satisfied_by_more_items() -> None:
    current = {"ReadAttributes": ["email", "name", "custom:group", "phone_number"]}
    desired = {"ReadAttributes": ["email", "custom:group"]}
    assert diff_fields(current, desired, superset_ok=["ReadAttributes"]) == ()
    # Without superset_ok the extra item is drift.
    assert diff_fields(current, desired) != ()


def test_superset_ok_merges_keeping_what_others_added_in_their_order() -> None:
    current = {"ReadAttributes": ["phone_number", "email"]}
    desired = {"ReadAttributes": ["email", "name", "custom:group"]}
    (change,) = diff_fields(current, desired, superset_ok=["ReadAttributes"])
    assert change == FieldChange(
        "ReadAttributes", ["phone_number", "email"], ["phone_number", "email", "name", "custom:group"]
    )


def test_superset_ok_from_nothing_is_the_desired_list() -> None:
    assert diff_fields({}, {"ReadAttributes": ("email",)}, superset_ok=["ReadAttributes"]) == (
        FieldChange("ReadAttributes", [], ["email"]),
    )


def test_superset_ok_applies_to_its_keys_only() -> None:
    current = {"ReadAttributes": ["email", "phone_number"], "Scopes": ["openid", "phone"]}
    desired = {"ReadAttributes": ["email"], "Scopes": ["openid"]}
    assert diff_fields(current, desired, superset_ok=["ReadAttributes"]) == (
        FieldChange("Scopes", ["openid", "phone"], ["openid"]),
    )


def test_a_sensitive_field_never_shows_its_values() -> None:
    (change,) = diff_fields({"Secret": "old-Hk3"}, {"Secret": "new-Lm4"}, sensitive=["Secret"])
    assert change == FieldChange("Secret", SENSITIVE, SENSITIVE)
    assert "Hk3" not in repr(change) and "Lm4" not in repr(change.to_json())


def test_a_sensitive_field_that_was_unset_shows_none_before() -> None:
    assert diff_fields({}, {"Secret": "new-Lm4"}, sensitive=["Secret"]) == (FieldChange("Secret", None, SENSITIVE),)
    assert diff_fields({"Secret": ""}, {"Secret": "new-Lm4"}, sensitive=["Secret"]) == (
        FieldChange("Secret", None, SENSITIVE),
    )


def test_an_unchanged_sensitive_field_is_no_change() -> None:
    assert diff_fields({"Secret": "same"}, {"Secret": "same"}, sensitive=["Secret"]) == ()


def test_changes_follow_the_order_of_the_desired_keys() -> None:
    changes = diff_fields({"A": 1, "B": 1, "C": 1}, {"C": 2, "A": 2, "B": 1})
    assert [c.field for c in changes] == ["C", "A"]


# -- change_for -----------------------------------------------------------------------------------------------


def test_change_for_an_absent_resource_is_a_create_of_every_field() -> None:
    change = change_for(
        "cognito app client",
        "privx",
        None,
        {"Flows": ("code",), "Secret": "s3cret", "Enabled": True},
        sensitive=["Secret"],
        notes=["made by setup"],
    )
    assert change == Change(
        "cognito app client",
        "privx",
        Action.CREATE,
        (
            FieldChange("Flows", None, ["code"]),
            FieldChange("Secret", None, SENSITIVE),
            FieldChange("Enabled", None, True),
        ),
        ("made by setup",),
    )
    assert change.changed


def test_change_for_a_matching_resource_is_a_noop_with_no_fields() -> None:
    change = change_for("privx directory", "Cognito", {"Name": "Cognito", "Extra": 1}, {"Name": "Cognito"})
    assert change.action is Action.NOOP and change.fields == () and not change.changed


def test_change_for_a_drifted_resource_is_an_update_with_the_differing_fields_only() -> None:
    change = change_for(
        "cognito app client",
        "privx",
        {"Scopes": ["email", "openid"], "ReadAttributes": ["email", "phone_number"], "Secret": "a", "Name": "privx"},
        {"Scopes": ["openid", "email"], "ReadAttributes": ["email", "name"], "Secret": "b", "Name": "privx"},
        superset_ok=["ReadAttributes"],
        sensitive=["Secret"],
    )
    assert change.action is Action.UPDATE
    assert change.fields == (
        FieldChange("ReadAttributes", ["email", "phone_number"], ["email", "phone_number", "name"]),
        FieldChange("Secret", SENSITIVE, SENSITIVE),
    )


def test_change_for_a_superset_is_a_noop() -> None:
    change = change_for("x", "y", {"L": ["a", "b"]}, {"L": ["a"]}, superset_ok=["L"])
    assert change.action is Action.NOOP
