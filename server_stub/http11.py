"""uvicorn's HTTP/1.1 protocol, answering a request it cannot parse as problem+json.

A request that is not valid HTTP (a header without a name, a malformed Content-Length)
never reaches the app: uvicorn answers it 400 itself, as plain text. The contract wants every
error as problem JSON, so this protocol answers those in the app's form (`bad_request`).
"""

from __future__ import annotations

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
