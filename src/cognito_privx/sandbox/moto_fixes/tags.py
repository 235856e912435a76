"""Fix 9: ``TagResource`` and ``UntagResource`` on a user pool, which moto lacks, kept in the tags moto's
``DescribeUserPool`` answers (``UserPoolTags``)."""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_patch import add_missing

__all__ = ["MAX_POOL_TAGS", "add_pool_tagging"]

# API reference, TagResource: "A user pool can have as many as 50 tags."
MAX_POOL_TAGS = 50


def add_pool_tagging(models: Any) -> None:
    """``TagResource`` / ``UntagResource`` for user pools, which moto lacks, on moto's own pool objects.

    AWS (API reference ``TagResource``, ``UntagResource``; botocore's model): ``ResourceArn`` is the user pool's
    ARN; ``TagResource`` "assigns a set of tags" (keys 1-128 characters, values 0-256) -- a key that is there
    already gets the new value, other tags stay; ``UntagResource`` removes the ``TagKeys`` given (a key that is
    not there is no error) and keeps the rest. "A user pool can have as many as 50 tags." An ARN of no pool is
    ``ResourceNotFoundException``. The tags are those ``DescribeUserPool`` answers as ``UserPoolTags`` (one
    set: ``CreateUserPool`` and ``UpdateUserPool`` set them too). Which error answers a 51st tag is not
    documented: here ``InvalidParameterException`` **(unverified)**.

    moto 5.2.5 has neither call (``NotImplementedError`` in-process, HTTP 500 over the server).
    """
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.core.responses import EmptyResult

    def pool_of(backend: Any, arn: str) -> Any:
        for pool in backend.user_pools.values():
            if pool.arn == arn:
                return pool
        raise ResourceNotFoundError(f"Resource {arn} does not exist.")

    def tag(self: Any, arn: str, tags: dict[str, str] | None) -> None:
        pool = pool_of(self, arn)
        tags = tags or {}
        for key, value in tags.items():
            if not 1 <= len(key) <= 128 or key.startswith("aws:"):
                raise InvalidParameterException(f"Invalid tag key {key!r}.")
            if len(value) > 256:
                raise InvalidParameterException(f"Invalid tag value for key {key!r}.")
        merged = {**(pool.extended_config.get("UserPoolTags") or {}), **tags}
        if len(merged) > MAX_POOL_TAGS:
            raise InvalidParameterException(f"A user pool can have as many as {MAX_POOL_TAGS} tags.")
        pool.extended_config["UserPoolTags"] = merged  # a new dict: never one shared with moto's defaults

    def untag(self: Any, arn: str, keys: list[str] | None) -> None:
        pool = pool_of(self, arn)
        gone = set(keys or [])
        kept = {k: v for k, v in (pool.extended_config.get("UserPoolTags") or {}).items() if k not in gone}
        pool.extended_config["UserPoolTags"] = kept

    add_missing(models.CognitoIdpBackend, {"tag_resource": tag, "untag_resource": untag})

    def act_tag(self: Any) -> Any:
        self.backend.tag_resource(self._get_param("ResourceArn"), self._get_param("Tags"))
        return EmptyResult()

    def act_untag(self: Any) -> Any:
        self.backend.untag_resource(self._get_param("ResourceArn"), self._get_param("TagKeys"))
        return EmptyResult()

    add_missing(responses.CognitoIdpResponse, {"tag_resource": act_tag, "untag_resource": act_untag})
