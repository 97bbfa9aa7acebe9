"""A device token must be typable after ``--token`` without ``=``: it never starts with ``-``."""

from __future__ import annotations

import pytest

from fieldapp.server import accounts


def test_a_token_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["-looks-like-an-option", "-again", "ok-token_x"])
    monkeypatch.setattr(accounts.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert accounts.new_token() == "ok-token_x"
