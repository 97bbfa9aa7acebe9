"""HTTP to the county server: one ``requests.Session``, timeouts, retries with backoff.

Every request the sync client makes is idempotent, so a connection error, a reply cut off while
it arrives or a 5xx answer is retried (with growing pauses) without any risk of storing something
twice; when the retries run out the user gets a message, never a traceback. A 4xx is not retried:
it carries the server's message, which is shown to the user as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from fieldapp import __version__
from fieldapp.errors import FieldappError
from fieldapp.sync.wire import API_PREFIX

# What a cut connection raises: before the answer (ConnectionError, Timeout) or while its body
# arrives (a chunked reply that stops: ChunkedEncodingError; a compressed one: ContentDecodingError).
CUT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class SyncError(FieldappError):
    """Sync could not finish; ``str()`` says why and what to do. Nothing unconfirmed is marked."""


class ServerRefused(SyncError):
    """The server answered 4xx: sending the same request again cannot succeed."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Transport:
    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        ca_bundle: str = "",
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = server_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = f"fieldapp/{__version__}"
        self.session.headers["Content-Type"] = "application/json"
        if ca_bundle:
            self.session.verify = ca_bundle

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of an API call, retried on connection errors and 5xx."""
        url = f"{self.base}{path if path.startswith('/health') else API_PREFIX + path}"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise SyncError(
                    f"无法与县局服务器 {self.base} 建立安全连接（证书不受信任）：{exc}。"
                    "如县局使用自建证书，请在设置中指定其 CA 文件"
                ) from None
            except CUT as exc:  # no answer, or an answer cut off while it arrived
                last = f"连接中断（{type(exc).__name__}）"
                continue
            if response.status_code >= 500:
                last = f"服务器出错（HTTP {response.status_code}）"
                continue
            if response.status_code >= 400:
                raise ServerRefused(self._refusal(response), response.status_code)
            try:
                return response.json()
            except ValueError:  # a 200 whose body ended early: ask again
                last = "服务器的回复不完整"
                continue
        raise SyncError(
            f"无法连接县局服务器 {self.base}：{last}，已重试 {self.retries} 次。"
            "已确认的评价都已记好，请检查网络后再同步，会从中断处继续"
        )

    def _refusal(self, response: requests.Response) -> str:
        try:
            detail = str(response.json().get("detail", ""))
        except ValueError:
            detail = response.text[:300]
        if response.status_code == 401:
            return f"县局服务器不接受令牌：{detail}"
        return f"县局服务器拒绝了请求（HTTP {response.status_code}）：{detail}"
