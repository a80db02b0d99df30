"""Offline spending allowances against the real server: covered redemptions are always accepted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from server_stub.models import Allowance, Card
from server_stub.service.expiry import expire_points
from tests.server.conftest import Backend
from tests.server.factories import DEFAULT_PROGRAM, Till, World, now_iso
from tests.server.ledger_checks import balances_match_ledger
from tests.server.test_concurrency import extra_tills

ALLOWANCE = 300  # points a till may spend offline on a card; the world's coffee costs 100


@pytest.fixture
def allowing(world: World) -> World:
    """The world's program with allowances on, and a third till at the first store."""
    fields = {**DEFAULT_PROGRAM.model_dump(mode="json"), "allowance_points": ALLOWANCE, "allowance_hours": 12}
    response = world.client(world.admin_token).put("/v1/office/program", json=fields)
    assert response.status_code == 200, response.text
    return world


def regular(world: World, card: str) -> None:
    """The card is seen at both stores (a stamp at each), so both stores' tills get allowances on it."""
    for till, staff in zip(world.tills, (world.staff["staff0"], world.staff["staff1"]), strict=True):
        [answer] = till.push_ok([till.tx("stamp_earned", card, staff, stamps_delta=1)])
        assert answer["status"] == "accepted", answer


def allowances(till: Till, *, recorded: int | None = None, at: datetime | None = None) -> dict[str, Any]:
    response = till.client.post(
        "/v1/sync/allowances",
        json={"recorded_seq": recorded, "till_time": (at or datetime.now(UTC)).isoformat()},
    )
    assert response.status_code == 200, response.text
    return {a["card_number"]: a for a in response.json()["allowances"]}


def redeem(till: Till, card: str, staff: int, allowance: str | None = None, **fields: Any) -> dict[str, Any]:
    return till.tx(
        "points_redeemed",
        card,
        staff,
        points_delta=-100,
        reward_id="coffee",
        allowance_id=allowance,
        **fields,
    )


def test_two_offline_tills_spend_within_their_allowances_whatever_a_third_did_online(
    allowing: World, backend: Backend
) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=1000)
    regular(world, card)
    held_north, held_west = allowances(north)[card], allowances(west)[card]
    assert (held_north["points"], held_west["points"]) == (ALLOWANCE, ALLOWANCE)
    # Offline: each till records three covered redemptions (nothing is sent yet).
    offline = {
        till.device_id: [redeem(till, card, staff, held["id"]) for _ in range(3)]
        for till, staff, held in (
            (north, world.staff["staff0"], held_north),
            (west, world.staff["staff1"], held_west),
        )
    }
    # Meanwhile a third till, online, spends what is not held: 400 of the 1000.
    [third] = extra_tills(world, 1)
    answers = third.push_ok([redeem(third, card, world.staff["manager0"]) for _ in range(5)])
    assert [a["reason"] for a in answers] == [None] * 4 + ["insufficient_points"]
    # Back online, in either order: every covered redemption is accepted.
    for till in (west, north):
        assert all(a["status"] == "accepted" for a in till.push_ok(offline[till.device_id]))
    detail = north.card(card)
    assert detail["card"]["points_balance"] == 0 and detail["held_points"] == 0
    assert balances_match_ledger(world.database, world.merchant_id)


def test_redemptions_beyond_an_allowance_are_at_risk_and_refused_as_before(allowing: World) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=900)
    regular(world, card)
    held = allowances(north)[card]
    assert allowances(west)[card]["points"] == ALLOWANCE  # 900: 300 each, 300 free for anyone
    covered = [redeem(north, card, world.staff["staff0"], held["id"]) for _ in range(3)]
    at_risk = [redeem(north, card, world.staff["staff0"]) for _ in range(5)]
    answers = north.push_ok(covered + at_risk)
    assert [a["reason"] for a in answers] == [None] * 6 + ["insufficient_points"] * 2
    assert north.card(card)["card"]["points_balance"] == 300  # west's hold, untouched


def test_a_covered_redemption_holds_through_the_cards_deactivation_meanwhile(allowing: World) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=500)
    regular(world, card)
    held = allowances(west)[card]
    offline = redeem(west, card, world.staff["staff1"], held["id"])
    north.push_ok([north.tx("card_deactivated", card, world.staff["manager0"])])
    [answer] = west.push_ok([offline])
    assert answer["status"] == "accepted" and answer["card"]["is_active"] is False
    [late] = west.push_ok([redeem(west, card, world.staff["staff1"])])  # not covered: as before
    assert late["reason"] == "card_inactive"


def test_a_citation_that_does_not_fit_its_allowance_is_at_risk(allowing: World) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=600)
    regular(world, card)
    held = allowances(north)[card]  # 300 held for north, 300 free
    late = (datetime.fromisoformat(held["valid_until"]) + timedelta(minutes=1)).isoformat()
    tries = [
        *(redeem(west, card, world.staff["staff1"]) for _ in range(3)),  # the free 300
        redeem(west, card, world.staff["staff1"], held["id"]),  # another till's allowance
        redeem(west, card, world.staff["staff1"], str(uuid.uuid4())),  # no such allowance
    ]
    assert [a["reason"] for a in west.push_ok(tries)] == [None] * 3 + ["insufficient_points"] * 2
    [after] = north.push_ok([redeem(north, card, world.staff["staff0"], held["id"], transaction_at=late)])
    assert after["status"] == "accepted"  # at risk, but the points are its own till's to spend
    assert north.card(card)["held_points"] == 200  # taken from its own hold


def test_escrow_is_released_only_once_the_till_is_past_the_end_and_has_sent_everything(
    allowing: World, backend: Backend
) -> None:
    world = allowing
    north = world.tills[0]
    card = world.new_card(points=1000)
    regular(world, card)
    held = allowances(north)[card]
    end = datetime.fromisoformat(held["valid_until"])
    recorded = redeem(north, card, world.staff["staff0"], held["id"])  # recorded, not yet sent
    after_end = end + timedelta(minutes=5)
    assert card in allowances(north, recorded=recorded["seq"], at=after_end)  # unsent: kept
    assert north.card(card)["held_points"] == ALLOWANCE
    north.push_ok([recorded])
    assert card in allowances(north, recorded=recorded["seq"], at=end - timedelta(minutes=1))  # not yet ended
    held_now = allowances(north, recorded=recorded["seq"], at=after_end)
    assert card not in held_now or held_now[card]["id"] != held["id"]  # released (and maybe granted anew)
    with world.database.session() as session:
        released = session.execute(
            select(Allowance.released_why).where(Allowance.id == held["id"])
        ).scalar_one()
    assert released == "ended"


def test_a_revoked_tills_escrow_goes_back_to_the_card(allowing: World) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=600)
    regular(world, card)
    assert allowances(west)[card]["points"] == ALLOWANCE
    assert west.card(card)["held_points"] == ALLOWANCE
    office = world.client(world.admin_token)
    assert office.post(f"/v1/office/devices/{west.device_id}/revoke").status_code == 204
    detail = north.card(card)
    assert (detail["held_points"], detail["holds"]) == (0, [])
    answers = north.push_ok([redeem(north, card, world.staff["staff0"]) for _ in range(6)])
    assert [a["reason"] for a in answers] == [None] * 6, "the released 300 spent too"


def test_held_points_do_not_expire(allowing: World) -> None:
    world = allowing
    north = world.tills[0]
    card = world.new_card(points=1000)
    regular(world, card)
    allowances(north)
    expire_points(world.database, now=datetime.now(UTC) + timedelta(days=31))
    detail = north.card(card)
    assert (detail["card"]["points_balance"], detail["held_points"]) == (ALLOWANCE, ALLOWANCE)
    assert balances_match_ledger(world.database, world.merchant_id)


def test_the_card_answer_says_what_is_held_where_and_until_when(allowing: World) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=1000)
    regular(world, card)
    allowances(north)
    allowances(west)
    detail = north.card(card)
    assert detail["held_points"] == 2 * ALLOWANCE
    assert sorted(h["store_id"] for h in detail["holds"]) == sorted(world.store_ids)
    assert all(h["points"] == ALLOWANCE and h["valid_until"] > now_iso() for h in detail["holds"])
    assert "device_id" not in str(detail["holds"])


def test_a_program_without_allowances_grants_none(world: World) -> None:
    north = world.tills[0]
    card = world.new_card(points=1000)
    regular(world, card)
    assert allowances(north) == {}
    with world.database.session() as session:
        held = session.execute(select(Card.held_points).where(Card.card_number == card)).scalar_one()
    assert held == 0


def stored_allowance(world: World, allowance_id: str) -> tuple[int, datetime]:
    with world.database.session() as session:
        row = session.execute(
            select(Allowance.points, Allowance.valid_until).where(Allowance.id == allowance_id)
        ).one()
    return row[0], row[1]


def test_an_ask_that_changes_nothing_writes_nothing_and_a_spent_or_aging_allowance_is_renewed(
    allowing: World,
) -> None:
    world = allowing
    north = world.tills[0]
    card = world.new_card(points=1000)
    regular(world, card)
    held = allowances(north)[card]
    first = stored_allowance(world, held["id"])
    again = allowances(north)[card]
    assert again == held and stored_allowance(world, held["id"]) == first, "nothing to change: not rewritten"
    # Spent: topped up at the next ask (and, written anyway, renewed).
    [answer] = north.push_ok([redeem(north, card, world.staff["staff0"], held["id"])])
    assert answer["status"] == "accepted"
    assert stored_allowance(world, held["id"])[0] == ALLOWANCE - 100
    topped = allowances(north)[card]
    assert (topped["id"], topped["points"]) == (held["id"], ALLOWANCE)
    assert topped["valid_until"] >= held["valid_until"]
    # Aging: with less than 12 h - 72 min left, the next ask moves its end on to 12 hours from now.
    with world.database.session() as session, session.begin():
        aged = datetime.now(UTC) + timedelta(hours=10)
        session.execute(update(Allowance).where(Allowance.id == held["id"]).values(valid_until=aged))
    renewed = allowances(north)[card]
    end = datetime.fromisoformat(renewed["valid_until"])
    assert renewed["id"] == held["id"] and end > datetime.now(UTC) + timedelta(hours=11, minutes=59)
    assert north.card(card)["held_points"] == ALLOWANCE
    assert balances_match_ledger(world.database, world.merchant_id)


def test_a_till_holds_only_what_a_card_has_beyond_one_allowance_free_for_anyone(allowing: World) -> None:
    world = allowing
    north, west = world.tills
    card = world.new_card(points=500)
    regular(world, card)
    assert allowances(north)[card]["points"] == 200, "500 less the 300 kept free"
    assert card not in allowances(west), "nothing beyond the free 300 is left: no allowance"
    [third] = extra_tills(world, 1)
    answers = third.push_ok([redeem(third, card, world.staff["manager0"]) for _ in range(4)])
    assert [a["reason"] for a in answers] == [None] * 3 + ["insufficient_points"], "300 free"


def test_a_store_counts_its_regulars_only_while_the_program_grants_allowances(world: World) -> None:
    """Visits cost a write per card only when allowances need them; once on, the next visit counts,
    and a regular's visit of an earlier day moves on to today's."""
    from server_stub.models import StoreRegular

    north = world.tills[0]
    card = world.new_card(points=1000)
    north.push_ok([north.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)])

    def seen() -> list[Any]:
        with world.database.session() as session:
            return list(
                session.execute(
                    select(StoreRegular.store_id, StoreRegular.last_at)
                    .join(Card, Card.id == StoreRegular.card_id)
                    .where(Card.merchant_id == world.merchant_id, Card.card_number == card)
                ).all()
            )

    assert seen() == [] and allowances(north) == {}
    fields = {**DEFAULT_PROGRAM.model_dump(mode="json"), "allowance_points": ALLOWANCE}
    assert world.client(world.admin_token).put("/v1/office/program", json=fields).status_code == 200
    north.push_ok([north.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)])
    [(store, first)] = seen()
    assert allowances(north)[card]["points"] == ALLOWANCE
    with world.database.session() as session, session.begin():  # as if that visit was yesterday's
        session.execute(
            update(StoreRegular)
            .where(StoreRegular.merchant_id == world.merchant_id)
            .values(last_at=first - timedelta(days=1))
        )
    north.push_ok(
        [north.tx("points_earned", card, world.staff["staff0"], points_delta=10, purchase_amount_cents=100)]
    )
    [(_, today)] = seen()
    assert today.date() == datetime.now(UTC).date() and today >= first - timedelta(seconds=1)
    assert balances_match_ledger(world.database, world.merchant_id)
