"""A reply cut off while it arrives is retried like a dropped connection (issue 16, item 5):
``fieldapp sync`` used to end in a traceback (ChunkedEncodingError) on 14 of 16 cuts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from fieldapp.sync.transport import SyncError, Transport

CUT_CHUNKED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'5\r\n{"ok"\r\n'  # and then the connection drops, mid-body
)
CUT_LENGTH = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"ok": t'
)
WHOLE = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok": 1}\r\n'
)


class CuttingServer:
    """A real TCP server: the first replies are cut off, the rest are whole."""

    def __init__(self, cuts: list[bytes]) -> None:
        self.cuts = list(cuts)
        self.seen = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                self.seen += 1
                conn.sendall(self.cuts.pop(0) if self.cuts else WHOLE)
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def cutting() -> Iterator[type[CuttingServer]]:
    made: list[CuttingServer] = []

    def make(cuts: list[bytes]) -> CuttingServer:
        server = CuttingServer(cuts)
        made.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in made:
        server.close()


def _transport(url: str, retries: int = 4) -> Transport:
    return Transport(url, "token", retries=retries, sleep=lambda _s: None)


def test_cut_replies_are_retried_until_one_arrives_whole(cutting) -> None:  # type: ignore[no-untyped-def]
    server = cutting([CUT_CHUNKED, CUT_LENGTH, CUT_CHUNKED])
    assert _transport(server.url).request("GET", "/pull") == {"ok": 1}
    assert server.seen == 4


def test_sixteen_cuts_end_in_a_message_not_a_traceback(cutting) -> None:  # type: ignore[no-untyped-def]
    server = cutting([CUT_CHUNKED, CUT_LENGTH] * 8)
    transport = _transport(server.url, retries=15)
    with pytest.raises(SyncError, match="重试 15 次") as failed:
        transport.request("GET", "/pull")
    assert server.seen == 16
    assert "请检查网络后再同步" in str(failed.value)
