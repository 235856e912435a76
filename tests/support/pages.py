"""Reading what a browser without JavaScript sees: the forms of a page, the parameters of a redirect."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Forms(HTMLParser):
    """The forms of an HTML page: action, method, and the name → value of each input (and its type)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}, "types": {}}
            )
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
            self.forms[-1]["types"][a["name"]] = a.get("type", "text")


def form_of(page: str) -> dict[str, Any]:
    """The one form of ``page`` (a page without exactly one form fails the test)."""
    parser = Forms()
    parser.feed(page)
    assert len(parser.forms) == 1, page
    return parser.forms[0]


def query_of(url: str) -> dict[str, str]:
    """``url``'s query parameters, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fragment_of(url: str) -> dict[str, str]:
    """``url``'s fragment parameters, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).fragment).items()}
