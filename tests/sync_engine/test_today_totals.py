"""The till's totals of its day, after a sync, equal the server's summary of the same hours."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from desktop.ledger.context import store_day_bounds
from sync.protocol import TransactionType
from tests.sync_engine.world import Till, World, new_card

T = TransactionType
RECORDED_HERE = [
    T.STAMP_EARNED,
    T.STAMP_VOIDED,
    T.POINTS_EARNED,
    T.POINTS_VOIDED,
    T.POINTS_REDEEMED,
    T.WELCOME_BONUS,
]


def server_summary(world: World, till: Till, start: datetime, end: datetime) -> dict[str, list[int]]:
    """GET /v1/office/summary for this till's store and day: type -> [count, stamps, points]."""
    identity = till.ledger.identity()
    assert identity is not None
    params = {"from": start.isoformat(), "to": end.isoformat(), "store_id": identity.store_id}
    with world.admin() as admin:
        response = admin.get("/v1/office/summary", params=params)
    response.raise_for_status()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in response.json()["rows"]:  # rows per UTC date: a store's day can span two
        kind = totals[row["type"]]
        kind[0] += row["count"]
        kind[1] += row["stamps_delta"]
        kind[2] += row["points_delta"]
    return totals


def test_todays_totals_net_out_voids_and_match_the_servers_summary_for_this_tills_day(
    till: Till, world: World
) -> None:
    card = new_card(till)
    whole = till.earn(card, 1250)
    part = till.earn(card, 800)
    stamp = till.ledger.add_stamp(till.staff, card).transaction.id
    till.ledger.add_stamp(till.staff, card)
    till.ledger.void(till.manager, whole)
    till.ledger.void(till.manager, part, points=30)
    till.ledger.void(till.manager, stamp)
    report = till.sync()
    assert report.rejected == 0 and till.ledger.pending_summary().count == 0

    now = datetime.now(UTC)
    totals = till.ledger.today_totals(now=now)
    identity = till.ledger.identity()
    assert identity is not None
    server = server_summary(world, till, *store_day_bounds(now, identity.store_timezone))

    for kind in RECORDED_HERE:
        here = [
            totals.counts.get(kind, 0),
            totals.stamps_by_type.get(kind, 0),
            totals.points_by_type.get(kind, 0),
        ]
        assert here == server.get(kind.value, [0, 0, 0]), kind
    given = sum(server[kind.value][2] for kind in (T.POINTS_EARNED, T.WELCOME_BONUS, T.POINTS_VOIDED))
    assert totals.points_given == given
    assert totals.points_voided == -server[T.POINTS_VOIDED.value][2] > 0
    assert totals.stamps_given == server[T.STAMP_EARNED.value][1] + server[T.STAMP_VOIDED.value][1] == 1
