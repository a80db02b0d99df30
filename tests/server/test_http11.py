"""The HTTP protocol the server runs: answers leave at once, whatever socket a worker process was given."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from server_stub.http11 import ProblemH11Protocol


class Transport(asyncio.Transport):
    """A transport over a real accepted socket, as a worker process's asyncio would hand it over."""

    def __init__(self, connection: socket.socket) -> None:
        super().__init__()
        self.connection = connection

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        peer = self.connection.getpeername()
        return {"socket": self.connection, "sockname": self.connection.getsockname(), "peername": peer}.get(
            name, default
        )


def test_a_connection_on_a_socket_handed_over_as_protocol_0_sends_without_nagle() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as _client:
            accepted, _ = listener.accept()
            # What a listening socket passed to another process becomes: protocol 0, so asyncio's
            # own TCP_NODELAY (for sockets it sees as TCP) is not set on its connections.
            handed = socket.socket(accepted.family, accepted.type, 0, fileno=accepted.detach())
            with handed:
                assert handed.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
                loop = asyncio.new_event_loop()
                try:
                    config = Config(app=lambda *args: None)
                    config.load()
                    protocol = ProblemH11Protocol(
                        config=config, server_state=ServerState(), app_state={}, _loop=loop
                    )
                    protocol.connection_made(Transport(handed))
                    assert handed.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
                finally:
                    loop.close()
