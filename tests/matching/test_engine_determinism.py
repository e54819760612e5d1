"""SIM-1: the engine is deterministic for a seed (ids, fills), and the ledger is complete."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.matching.test_engine_balances import _actions, run_script
from tests.matching.test_engine_support import limit, make_engine, standard_book
from trader.core.types import Side


def _snapshot(engine):
    return (
        [(o.order_id, o.client_order_id, o.status, o.filled_size) for o in engine.orders()],
        engine.fills(),
        engine.balances(),
    )


@settings(max_examples=100, deadline=None)
@given(_actions)
def test_sim1_same_seed_same_fills(actions):
    engines = [make_engine(usd="2000", btc="5", seed=11) for _ in range(2)]
    for engine in engines:
        standard_book(engine)
        run_script(engine, actions)
    assert _snapshot(engines[0]) == _snapshot(engines[1])


def test_sim1_seed_changes_ids_only():
    results = []
    for seed in (1, 2):
        engine = make_engine(seed=seed)
        standard_book(engine)
        engine.create_order(limit(Side.BUY, "0.5", "101", client_id="same"), 1.0)
        results.append(engine.fills()[0])
    assert results[0].trade_id != results[1].trade_id
    assert (results[0].price, results[0].size) == (results[1].price, results[1].size)


def test_sim1_order_ids_are_uuid_shaped_and_unique():
    engine = make_engine()
    standard_book(engine)
    for _ in range(50):
        engine.create_order(limit(Side.BUY, "0.02", "90"), 1.0)
    ids = [o.order_id for o in engine.orders()]
    assert len(set(ids)) == 50
    assert all(len(i) == 36 and i[14] == "4" for i in ids)


def test_sim1_ledger_keeps_acceptance_order():
    engine = make_engine()
    standard_book(engine)
    ids = [
        engine.create_order(limit(Side.BUY, "0.02", "90", client_id=f"i{n}"), 1.0) for n in range(5)
    ]
    assert [o.order_id for o in engine.orders()] == [r.order.order_id for r in ids]
    assert [o.client_order_id for o in engine.orders()] == [f"i{n}" for n in range(5)]


@settings(max_examples=100, deadline=None)
@given(_actions, st.data())
def test_sim1_the_fills_of_some_orders_are_the_ledger_s_fills_of_those(actions, data):
    """`fills_of` (the paper venue's fills by order id) answers from an index: for any
    orders asked — several, repeated, unknown — the run's fills of them in their order."""
    engine = make_engine(usd="2000", btc="5", seed=11)
    standard_book(engine)
    run_script(engine, actions)
    known = [o.order_id for o in engine.orders()] + ["no-such-order"]
    asked = data.draw(st.lists(st.sampled_from(known), max_size=6))
    assert engine.fills_of(asked) == [f for f in engine.fills() if f.order_id in asked]
