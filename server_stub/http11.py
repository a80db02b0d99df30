"""uvicorn's HTTP/1.1 protocol, answering a request it cannot parse as problem+json.

A request that is not valid HTTP (a header without a name, a malformed Content-Length)
never reaches the app: uvicorn answers it 400 itself, as plain text. The contract wants every
error as problem JSON, so this protocol answers those in the app's form (`bad_request`).
"""

from __future__ import annotations

import asyncio
import socket

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from server_stub.errors import TITLES
from sync.protocol import PROBLEM_CONTENT_TYPE, Problem

MALFORMED = Problem(
    title=TITLES[400],
    status=400,
    detail="The request is not valid HTTP.",
    code="bad_request",
)
_BODY = MALFORMED.model_dump_json(exclude_none=True).encode()


class ProblemH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Answers go out at once (no Nagle). asyncio sets TCP_NODELAY only on sockets it recognises
        # as TCP; a listening socket handed to `serve --workers` processes comes back with protocol
        # 0, and every answer on a kept-alive connection then waited ~40 ms for the client's ACK.
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
            (b"content-length", str(len(_BODY)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=_BODY),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
