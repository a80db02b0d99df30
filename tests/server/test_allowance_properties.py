"""Allowances' invariants over random interleavings: three tills granted escrow, spending offline and
online, syncing, the expiry job and head office revoking a till, all on the server's own code."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uuid6
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server_stub.db import Database, create_database, migrate
from server_stub.models import Allowance, Card, LedgerTransaction
from server_stub.office import admin as office_admin
from server_stub.service.allowances import sync_allowances
from server_stub.service.auth import AdminContext, DeviceContext
from server_stub.service.expiry import expire_points
from server_stub.service.programs import save_program_version
from server_stub.service.push import InFlightKeys, PushStatus, push_batch
from server_stub.service.world import create_device, create_merchant, create_staff, create_store
from sync.protocol import ProgramFields, ProgramType, Reward, Role, TransactionType, Tx

T = TransactionType
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CARD = "C-1"
PROGRAM = ProgramFields(
    type=ProgramType.POINTS,
    rewards=[Reward(id="coffee", name="Coffee", points_cost=100)],
    points_per_currency_unit=10,
    points_expiration_days=30,
    allowance_points=200,
    allowance_hours=12,
)


@dataclass
class TillModel:
    """A till as the protocol sees it: what it has recorded and not sent, and the allowance it holds."""

    device: DeviceContext
    staff_id: int
    seq: int = 0
    pending: list[Tx] = field(default_factory=list)
    allowance: dict[str, object] | None = None  # id, left, valid_until (as it last heard, less its spending)
    revoked: bool = False
    covered_sent: list[str] = field(default_factory=list)  # ids of covered redemptions it pushed

    def record(self, kind: TransactionType, now: datetime, **fields: object) -> Tx:
        self.seq += 1
        return Tx.model_validate(
            {
                "id": str(uuid6.uuid7()),
                "seq": self.seq,
                "type": kind,
                "card_number": CARD,
                "staff_id": self.staff_id,
                "transaction_at": now.isoformat(),
                **fields,
            },
            strict=False,
        )


class Chain:
    """Three tills and their server; each method is one thing that can happen."""

    def __init__(self) -> None:
        self.now = START
        self.folder = tempfile.TemporaryDirectory()
        self.database, self.tills, self.merchant_id = build(Path(self.folder.name))
        self.in_flight = InFlightKeys()
        self.covered_refused: list[str] = []
        opening = self.tills[0]  # the card, 500 points, and a visit at each store (a regular of both)
        self._push(
            opening,
            [
                opening.record(T.CARD_CREATED, self.now),
                opening.record(T.POINTS_ADJUSTMENT, self.now, points_delta=500, notes="opening"),
            ],
        )
        for model in self.tills:
            self._push(
                model, [model.record(T.POINTS_EARNED, self.now, points_delta=0, purchase_amount_cents=0)]
            )

    def close(self) -> None:
        self.database.dispose()
        self.folder.cleanup()

    # --- what happens ---------------------------------------------------------------------------

    def sync(self, till: int, *, send: bool = True) -> None:
        """Online: push what was recorded, then ask for allowances (reporting the till's clock)."""
        model = self.tills[till]
        if model.revoked:
            return
        if send:
            self._push(model, model.pending)
            model.pending = []
        with self.database.session() as session, session.begin():
            answer = sync_allowances(
                session,
                self.database.backend,
                model.device,
                recorded_seq=model.seq or None,
                till_time=self.now,
                now=self.now,
            )
        held = [a for a in answer.allowances if a.card_number == CARD]
        # Unsent takes from the card count against what the till was told, cited or not (the
        # server takes an uncited one from the till's own allowance when the card is short).
        spent = sum(-tx.points_delta for tx in model.pending if tx.points_delta < 0)
        model.allowance = (
            {"id": held[0].id, "left": held[0].points - spent, "valid_until": held[0].valid_until}
            if held
            else None
        )

    def ask_before_sending(self, till: int) -> None:
        """The till asks for allowances while transactions it recorded are still unsent (a push that
        timed out): what it holds must not be released under it."""
        self.sync(till, send=False)

    def redeem_offline(self, till: int) -> None:
        """Offline: a redemption recorded, covered if the till's allowance still has room in time."""
        model = self.tills[till]
        if model.revoked:
            return
        allowance = model.allowance
        covered = (
            allowance is not None
            and int(str(allowance["left"])) >= 100
            and self.now <= allowance["valid_until"]  # type: ignore[operator]
        )
        fields: dict[str, object] = {"points_delta": -100, "reward_id": "coffee"}
        if covered:
            assert allowance is not None
            fields["allowance_id"] = allowance["id"]
        if allowance is not None:  # covered or not, it counts against what is left
            allowance["left"] = int(str(allowance["left"])) - 100
        model.pending.append(model.record(T.POINTS_REDEEMED, self.now, **fields))

    def earn_online(self, till: int, purchase: int) -> None:
        model = self.tills[till]
        if not model.revoked:
            tx = model.record(
                T.POINTS_EARNED, self.now, points_delta=purchase // 10, purchase_amount_cents=purchase
            )
            self._push(model, [*model.pending, tx])
            model.pending = []

    def redeem_online(self, till: int) -> None:
        """Online: a redemption citing no allowance, judged at once. Like every take the till sent
        after its last answer, it counts against what the till was told is left."""
        model = self.tills[till]
        if not model.revoked:
            tx = model.record(T.POINTS_REDEEMED, self.now, points_delta=-100, reward_id="coffee")
            self._push(model, [*model.pending, tx])
            model.pending = []
            if model.allowance is not None:
                model.allowance["left"] = int(str(model.allowance["left"])) - 100

    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    def expiry_runs(self, days: int) -> None:
        expire_points(self.database, now=self.now + timedelta(days=days))

    def head_office_revokes(self, till: int) -> None:
        model = self.tills[till]
        if model.revoked or till == 0:  # till 0 stays: someone must go on trading
            return
        with self.database.session() as session, session.begin():
            actor = AdminContext(token_id=0, merchant_id=self.merchant_id, name="head office")
            office_admin.revoke_device(session, actor, model.device.device_id, now=self.now)
        model.revoked = True

    def _push(self, model: TillModel, txs: list[Tx]) -> None:
        if not txs:
            return
        key = str(uuid.uuid4())
        outcome = push_batch(
            self.database,
            self.in_flight,
            device=model.device,
            key=key,
            request_hash=hashlib.sha256(key.encode()).hexdigest(),
            txs=txs,
            clock=lambda: self.now,
        )
        assert outcome.status is PushStatus.ANSWERED
        for tx, verdict in zip(txs, outcome.verdicts, strict=True):
            if tx.allowance_id is not None:
                model.covered_sent.append(str(tx.id))
                if verdict.reason is not None:
                    self.covered_refused.append(f"{tx.id}: {verdict.reason}")

    # --- what must always hold ------------------------------------------------------------------

    def every_covered_redemption_was_accepted(self) -> None:
        assert self.covered_refused == []

    def the_balance_is_never_negative_equals_its_ledger_and_covers_every_hold(self) -> None:
        with self.database.session() as session:
            balance, held = session.execute(
                select(Card.points_balance, Card.held_points).where(Card.card_number == CARD)
            ).one()
            ledger = session.execute(
                select(func.coalesce(func.sum(LedgerTransaction.points_delta), 0)).where(
                    LedgerTransaction.card_number == CARD, LedgerTransaction.status == "accepted"
                )
            ).scalar_one()
            holds = session.execute(
                select(func.coalesce(func.sum(Allowance.points), 0)).where(Allowance.released_at.is_(None))
            ).scalar_one()
        assert balance >= 0 and balance == ledger
        assert 0 <= held <= balance and held == holds

    def no_escrow_is_released_while_its_till_still_holds_covered_redemptions(self) -> None:
        for model in self.tills:
            cited = {str(tx.allowance_id) for tx in model.pending if tx.allowance_id is not None}
            if model.revoked or not cited:
                continue
            with self.database.session() as session:
                released = session.execute(
                    select(Allowance.id).where(Allowance.id.in_(cited), Allowance.released_at.is_not(None))
                ).all()
            assert released == []


def build(folder: Path) -> tuple[Database, list[TillModel], int]:
    """A merchant with allowances on, and three tills at two stores (their staff: the owner)."""
    database = create_database(f"sqlite:///{folder / 'server.db'}", pool_size=1)
    migrate(database)
    with database.session() as session, session.begin():
        merchant = create_merchant(session, name="m", now=START)
        save_program_version(session, merchant_id=merchant.id, fields=PROGRAM, now=START)
        stores = [
            create_store(session, merchant_id=merchant.id, name=f"s{i}", timezone="UTC") for i in range(2)
        ]
        owner = create_staff(
            session,
            merchant_id=merchant.id,
            name="o",
            role=Role.MERCHANT_OWNER,
            store_id=None,
            pin="1234",
            now=START,
        ).id
        tills = []
        for i in range(3):
            store = stores[i % 2]
            device = create_device(session, store=store, name=f"t{i}", now=START)
            context = DeviceContext(device.id, merchant.id, store.id, store.name, store.timezone)
            tills.append(TillModel(device=context, staff_id=owner))
        merchant_id = merchant.id
    return database, tills, merchant_id


TILL = st.integers(0, 2)
# What can happen, the common things more often: a till syncs (and is granted), records offline,
# trades online, time passes, the expiry job runs, head office revokes a till.
EVENT = st.one_of(
    st.tuples(st.just("sync"), TILL),
    st.tuples(st.just("ask_before_sending"), TILL),
    st.tuples(st.just("redeem_offline"), TILL),
    st.tuples(st.just("redeem_offline"), TILL),
    st.tuples(st.just("redeem_offline"), TILL),
    st.tuples(st.just("earn_online"), TILL, st.sampled_from([1000, 2500, 5000])),
    st.tuples(st.just("redeem_online"), TILL),
    st.tuples(st.just("time_passes"), st.sampled_from([1, 2, 3, 5, 8, 13, 30])),
    st.tuples(st.just("expiry_runs"), st.integers(25, 40)),
    st.tuples(st.just("head_office_revokes"), TILL),
)
CHECKS = (
    "every_covered_redemption_was_accepted",
    "the_balance_is_never_negative_equals_its_ledger_and_covers_every_hold",
    "no_escrow_is_released_while_its_till_still_holds_covered_redemptions",
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=st.lists(EVENT, min_size=5, max_size=50))
# Two stories always told, beside the random ones: a till that asks again, past its allowance's end,
# before sending what it covered; two tills spending offline while a third spends online.
@example(events=[("sync", 0), ("redeem_offline", 0), ("time_passes", 13), ("ask_before_sending", 0)])
# An at-risk redemption recorded before the till's allowance came, sent after a covered one.
@example(
    events=[("sync", 0), ("sync", 2), ("redeem_offline", 1), ("ask_before_sending", 1), ("redeem_offline", 1)]
)
@example(
    events=[
        ("sync", 1),
        ("sync", 2),
        ("redeem_offline", 1),
        ("redeem_offline", 2),
        ("redeem_offline", 1),
        ("redeem_online", 0),
        ("redeem_online", 0),
        ("redeem_online", 0),
        ("sync", 2),
        ("sync", 1),
    ]
)
def test_allowance_invariants_hold_over_random_interleavings(events: list[tuple[object, ...]]) -> None:
    chain = Chain()
    try:
        for name, *values in events:
            getattr(chain, str(name))(*values)
            for check in CHECKS:
                getattr(chain, check)()
        for model in chain.tills:  # everyone comes back online at the end
            chain.sync(chain.tills.index(model))
        for check in CHECKS:
            getattr(chain, check)()
    finally:
        chain.close()
