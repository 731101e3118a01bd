"""Absolute links for messages: the app's public address (`EVIDENCE_PUBLIC_URL`) and a path.

A message is read outside the app, so every link in it is absolute, made
from the configured public address, never from a request's Host header
(which whoever sends the request chooses). A token goes in the query string,
percent-encoded.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from config.value_checks import public_url_problem


class LinkError(ValueError):
    """No link can be made: the public address is missing or unusable, or the path is not ours."""


def app_link(base_url: str, path: str = "", **query: str) -> str:
    """`{base_url}/{path}?{query}`: e.g. `app_link(base, "set_password", token=t)`.

    LinkError if `base_url` is empty or not an http(s) address with a host (and no
    query, fragment or user name), or if `path` is not a plain relative path."""
    if not base_url:
        raise LinkError("no public address is set (EVIDENCE_PUBLIC_URL), so no link can be made")
    problem = public_url_problem(base_url)
    if problem:
        raise LinkError(f"the public address {base_url!r} {problem}")
    if path.startswith("/") or "//" in path or "\\" in path or any(part in (".", "..") for part in path.split("/")):
        raise LinkError(f"{path!r} is not a path inside the app")
    link = base_url.rstrip("/") + "/" + quote(path, safe="/")
    return link + ("?" + urlencode(query) if query else "")
