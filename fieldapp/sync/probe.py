"""测试连接: ask the county server who a token belongs to, without syncing anything.

The settings dialog and the first-run wizard call :func:`check_server` with what is typed (not
yet saved): the answer names the account, its station and role and how far the server's clock is
from this laptop's, so a wrong address, a refused token or an untrusted certificate shows before
the first sync, in the same Chinese words the sync uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fieldapp.errors import InvalidInput
from fieldapp.sync import wire
from fieldapp.sync.transport import ServerRefused, SyncError, Transport

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ServerAnswer:
    name: str
    station: str
    role: str
    clock_offset_seconds: float

    @property
    def clock_skewed(self) -> bool:
        return abs(self.clock_offset_seconds) > wire.SKEW_LIMIT_SECONDS


def check_server(server_url: str, token: str, ca_bundle: str = "") -> ServerAnswer:
    """Who ``token`` is on the server at ``server_url`` (one try, a short timeout)."""
    url, secret = server_url.strip(), token.strip()
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("服务器地址应以 http:// 或 https:// 开头，例如 https://县局服务器地址")
    if not secret:
        raise InvalidInput("请填写令牌（向县局管理员索取）后再测试连接")
    transport = Transport(url, secret, ca_bundle=ca_bundle, timeout=TIMEOUT_SECONDS, retries=0)
    try:
        before = datetime.now(UTC)
        me = wire.Me.model_validate(transport.request("GET", "/me"))
        after = datetime.now(UTC)
    except ServerRefused:
        raise  # the server answered: its reason (a refused token) says what to do
    except SyncError as exc:
        if "证书" in str(exc):
            raise  # an untrusted certificate: the message names the CA setting
        # No answer at all: the sync's wording (retries, confirmed evaluations) does not fit.
        raise SyncError(
            f"无法连接县局服务器 {url}：没有回应。请检查服务器地址是否正确、"
            "本机是否已连上县局网络，然后再点「测试连接」"
        ) from None
    finally:
        transport.close()
    local = before + (after - before) / 2
    return ServerAnswer(
        name=me.name,
        station=me.station,
        role=me.role.label,
        clock_offset_seconds=(local - me.server_time).total_seconds(),
    )


__all__ = ["ServerAnswer", "check_server"]
