"""Answers of an unexpected shape, for the answer fuzzer (``tests/properties/test_answer_fuzz.py``).

- :func:`mutate`: one JSON value rewritten at one place chosen by a seed: a key dropped, a value of another type
  (``""``, ``null``, a huge number, a list for an object and back), a wrong ``count``.
- :class:`Rewriter`: an httpx transport handler in front of the PrivX emulator that rewrites the ``nth`` JSON
  answer (the log-in's included), and says whether it did.
- :func:`rewrite_aws`: the same for Cognito, on the parsed answer of the ``nth`` cognito-idp call (botocore's
  ``after-call`` event, where a parsed answer reaches the caller).
- :func:`checked`: what every fuzzed run must look like (exit 0, or one ``error:`` + ``hint:``; no traceback).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import httpx

# What a value may become: the types PrivX or AWS could plausibly send by mistake, and the edges of each.
ODD_VALUES: tuple[Any, ...] = ("", None, 0, -1, 10**30, 1e308, "x", [], {}, True, "12", [{}], {"items": []})


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``value`` (the root included), as key/index paths."""
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _places(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _places(v, (*path, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], tuple(rest), new)
    return copy


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def mutate(value: Any, seed: int) -> tuple[Any, str]:
    """``value`` rewritten at one place chosen by ``seed``, and what was done (for the failure message)."""
    rng = random.Random(seed)
    places = _places(value)
    # Prefer a place inside (the root is one of many); keys named "count" get their own mutation sometimes.
    path = rng.choice(places)
    here = _get(value, path)
    kind = rng.choice(("drop", "type", "flip", "count", "empty"))
    if kind == "drop" and path and isinstance(_get(value, path[:-1]), dict):
        parent = dict(_get(value, path[:-1]))
        del parent[path[-1]]
        return _replace(value, path[:-1], parent), f"dropped {'.'.join(map(str, path))}"
    if kind == "flip":
        if isinstance(here, list):
            new: Any = here[0] if here and rng.random() < 0.5 else {"items": here}
        elif isinstance(here, dict):
            new = [here]
        else:
            new = [here]
        return _replace(value, path, new), f"flipped {'.'.join(map(str, path)) or '(root)'}"
    if kind == "count" and isinstance(value, dict) and "count" in value:
        new = rng.choice((-1, 0, 10**12, "3", None, 2.5))
        return _replace(value, ("count",), new), f"count={new!r}"
    if kind == "empty" and isinstance(here, str):
        return _replace(value, path, ""), f"emptied {'.'.join(map(str, path))}"
    new = rng.choice(ODD_VALUES)
    return _replace(value, path, new), f"{'.'.join(map(str, path)) or '(root)'}={new!r}"


class Rewriter:
    """An httpx handler: ``inner``'s answers, the ``nth`` (0-based) JSON one rewritten by :func:`mutate`."""

    def __init__(self, inner: Callable[[httpx.Request], httpx.Response], nth: int, seed: int) -> None:
        self.inner, self.nth, self.seed = inner, nth, seed
        self.seen = 0
        self.done = ""  # what was rewritten, and in which answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.inner(request)
        response.read()
        if not response.headers.get("content-type", "").startswith("application/json") or not response.content:
            return response
        index, self.seen = self.seen, self.seen + 1
        if index != self.nth:
            return response
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        new, what = mutate(body, self.seed)
        self.done = f"{request.method} {request.url.path}: {what}"
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return httpx.Response(response.status_code, headers=headers, json=new, request=request)


class AwsRewriter:
    """For botocore's ``after-call.cognito-idp`` event: the ``nth`` parsed answer rewritten by :func:`mutate`."""

    def __init__(self, nth: int, seed: int) -> None:
        self.nth, self.seed = nth, seed
        self.seen = 0
        self.done = ""

    def __call__(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if http_response is None or http_response.status_code >= 300:
            return
        index, self.seen = self.seen, self.seen + 1
        if index != self.nth:
            return
        metadata = parsed.pop("ResponseMetadata", None)
        new, what = mutate(parsed, self.seed)
        parsed.clear()
        if isinstance(new, dict):
            parsed.update(new)
        else:  # botocore hands on a dict; a list here stands for an answer of no known keys
            what += " (as {})"
        if metadata is not None:
            parsed["ResponseMetadata"] = metadata
        self.done = f"{model.name}: {what}"


def traceback_in(text: str) -> bool:
    return "Traceback" in text or 'File "' in text
