"""GET /v1/cards/{card_number}: a card's state and its last 50 transactions."""

from __future__ import annotations

from fastapi import APIRouter

from server_stub.deps import DeviceDep, ReadSessionDep
from server_stub.errors import ApiError
from server_stub.openapi import problems
from server_stub.service.cards import card_detail
from sync.protocol import CardDetail

router = APIRouter(prefix="/v1/cards", tags=["cards"])


@router.get(
    "/{card_number}", response_model=CardDetail, responses=problems(401, 404), summary="Look up a card"
)
def get_card(card_number: str, device: DeviceDep, session: ReadSessionDep) -> CardDetail:
    detail = card_detail(session, device=device, card_number=card_number)
    if detail is None:
        raise ApiError(404, "unknown_card", "No such card.")
    return detail
