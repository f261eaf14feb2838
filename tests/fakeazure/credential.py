"""A token credential that never talks to Entra ID: the fake accepts any bearer token."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo


class StaticCredential:
    """Both the async `get_token` and `get_token_info` protocols, returning a fixed token."""

    def __init__(self, token: str = "fake-token"):
        self._token = token
        self.scopes: set[str] = set()

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.update(scopes)
        return AccessToken(self._token, int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        self.scopes.update(scopes)
        return AccessTokenInfo(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None
