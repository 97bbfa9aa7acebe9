"""What an inspector reads of a sync or server error: the Chinese reason and what to do, without
HTTP status codes or record UUIDs, which go under 详细信息 (the full text stays one click away,
for a message to the county)."""

from __future__ import annotations

import re

_HTTP = re.compile(r"[（(]\s*HTTP\s*\d{3}\s*[)）]|HTTP\s*\d{3}\s*[：:]?\s*")
# A UUID, whole or cut short with "…" (as a refusal may print it).
_UUID = re.compile(
    r"\s?\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b\s?"
    r"|\s?\b[0-9a-fA-F]{8}-[0-9a-fA-F-]*…\s?"
)


def plain(text: str) -> str:
    """``text`` without HTTP codes and UUIDs; unchanged when it has neither."""
    out = _UUID.sub("", _HTTP.sub("", text))
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def has_details(text: str) -> bool:
    """Whether :func:`plain` leaves anything out (a 详细信息 is worth showing)."""
    return plain(text) != text.strip()
