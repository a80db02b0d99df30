"""The office's session dependency: committed before the answer is sent, so a 2xx means it is stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from server_stub.deps import get_session

# FastAPI ends `yield` dependencies after the response by default ("request" scope); a
# write must commit first, or a client could be told 204 for a change that then fails
# to commit, and its next request could read the state before the change.
CommittedSession = Annotated[Session, Depends(get_session, scope="function")]
