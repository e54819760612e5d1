"""Property tests: risk never approves beyond a cap (R-1), resizes never round up past a cap,
exits always fire when a stop is crossed (R-2)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from trader.config.policy import PolicyConfig
from trader.config.universe import ClusterConfig, UniverseConfig
from trader.core.decision import ExitReason, Proposal
from trader.core.market import MarketSnapshot
from trader.core.portfolio import OpenOrder, Portfolio, Position
from trader.core.products import on_grid
from trader.core.risk_state import RiskState
from trader.core.types import Side, TradingState
from trader.risk.config import RiskConfig
from trader.risk.engine import evaluate
from trader.risk.exits import exits_due, filter_exits

from .factories import NOW, market_for

PRODUCTS = ("BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD")
HUNDRED = D(100)
FEE = D("0.009")

prices = st.decimals(min_value=D("0.5"), max_value=D("50000"), places=2)
pcts = st.decimals(min_value=D("1"), max_value=D("100"), places=1)


@st.composite
def scenarios(draw):
    price_of = {pid: draw(prices) for pid in PRODUCTS}
    held = draw(st.lists(st.sampled_from(PRODUCTS), unique=True, max_size=3))
    positions = {
        pid: Position(
            pid,
            draw(st.decimals(min_value=D("0.001"), max_value=D("5"), places=3)),
            price_of[pid],
            NOW - 100,
            "rules",
            draw(st.one_of(st.none(), st.decimals(min_value=D("1"), max_value=D("20"), places=1))),
        )
        for pid in held
    }
    orders = tuple(
        OpenOrder(f"o{i}", pid, Side.BUY, D("0.01"), limit_price=price_of[pid])
        for i, pid in enumerate(draw(st.lists(st.sampled_from(PRODUCTS), max_size=2)))
    )
    cash = draw(st.decimals(min_value=D("0"), max_value=D("50000"), places=2))
    position_pct = draw(pcts)
    policy = PolicyConfig(
        max_position_pct=position_pct,
        max_total_exposure_pct=max(position_pct, draw(pcts)),
        max_open_positions=10,
        max_trades_per_hour=50,
        max_trades_per_day=50,
        min_notional=D("1"),
        min_cash_reserve_pct=draw(st.decimals(min_value=D("0"), max_value=D("10"), places=1)),
    )
    universe = UniverseConfig(
        clusters={"majors": ClusterConfig(members=["BTC", "ETH"], max_exposure_pct=draw(pcts))}
    )
    budget = draw(st.decimals(min_value=D("0.1"), max_value=D("50"), places=1))
    config = RiskConfig(policy, universe, {"rules": budget})
    proposals = [
        Proposal(
            pid,
            Side.BUY,
            "rules",
            0.5,
            "prop",
            size_pct=draw(st.decimals(min_value=D("0.5"), max_value=D("100"), places=1)),
            stop_loss_pct=draw(st.decimals(min_value=D("0.5"), max_value=D("20"), places=1)),
        )
        for pid in draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=5))
    ]
    regime = draw(st.sampled_from(["normal", "high_vol", "risk_off"]))
    products = {pid: market_for(pid, price_of[pid], spread_bps="0") for pid in PRODUCTS}
    market = MarketSnapshot(products, regime, {pid: "core" for pid in PRODUCTS})
    return Portfolio("USD", {"USD": cash}, positions, orders), market, config, proposals


def _exposure(pf: Portfolio, market: MarketSnapshot) -> dict[str, D]:
    out: dict[str, D] = dict.fromkeys(PRODUCTS, D(0))
    mids = market.mid_prices()
    for pid, pos in pf.positions.items():
        out[pid] += pos.base_size * mids[pid]
    for order in pf.open_orders:
        out[order.product_id] += order.worst_case_notional()
    return out


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_r1_property_never_approves_beyond_any_cap(scenario):
    pf, market, config, proposals = scenario
    verdicts = evaluate(proposals, pf, market, RiskState(), config, NOW)
    policy = config.policy
    equity = pf.equity(market.mid_prices())
    mult = policy.regime_multiplier(market.regime)
    before = _exposure(pf, market)
    after = dict(before)
    spent = D(0)
    for verdict in verdicts:
        if verdict.approved:
            after[verdict.proposal.product_id] += verdict.notional
            spent += verdict.notional * (1 + FEE)
    if not spent:
        return
    for pid in PRODUCTS:
        if after[pid] > before[pid]:
            assert after[pid] <= equity * policy.max_position_pct * mult / HUNDRED
    assert sum(after.values()) <= equity * policy.max_total_exposure_pct * mult / HUNDRED
    majors = after["BTC-USD"] + after["ETH-USD"]
    if majors > before["BTC-USD"] + before["ETH-USD"]:
        cap = config.universe.clusters["majors"].max_exposure_pct
        assert majors <= equity * cap * mult / HUNDRED
    open_buys = sum((o.worst_case_notional() for o in pf.open_orders), D(0))
    reserve = equity * policy.min_cash_reserve_pct / HUNDRED
    assert spent <= pf.quote_cash() - open_buys * (1 + FEE) - reserve


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_r1_property_resize_never_rounds_up_past_a_cap(scenario):
    pf, market, config, proposals = scenario
    for verdict in evaluate(proposals, pf, market, RiskState(), config, NOW):
        if not verdict.approved:
            assert verdict.base_size == 0
            continue
        rules = market.products[verdict.proposal.product_id].rules
        assert on_grid(verdict.base_size, rules.base_increment)
        assert verdict.notional == verdict.base_size * verdict.price
        assert verdict.notional <= verdict.details["allowed_notional"]
        assert verdict.notional <= verdict.details["requested_notional"]


positions = st.builds(
    Position,
    product_id=st.just("BTC-USD"),
    base_size=st.decimals(min_value=D("0.0001"), max_value=D("100"), places=4),
    avg_cost=st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
    entry_time=st.floats(min_value=0, max_value=NOW + 1e6),
    strategy_id=st.sampled_from(["rules", "", "manual"]),
    stop_loss_pct=st.one_of(
        st.none(), st.decimals(min_value=D("0.1"), max_value=D("50"), places=1)
    ),
    take_profit_pct=st.one_of(
        st.none(), st.decimals(min_value=D("0.1"), max_value=D("50"), places=1)
    ),
    max_hold_s=st.one_of(st.none(), st.floats(min_value=1, max_value=1e7)),
    trailing_stop_pct=st.one_of(
        st.none(), st.decimals(min_value=D("0.1"), max_value=D("50"), places=1)
    ),
    peak_price=st.one_of(
        st.none(), st.decimals(min_value=D("0.01"), max_value=D("200000"), places=2)
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    positions,
    st.decimals(min_value=D("0"), max_value=D("1"), places=4),
    st.sampled_from([TradingState.ACTIVE, TradingState.REDUCING]),
)
def test_r2_property_exit_always_emitted_when_stop_crossed(pos, fraction, state):
    policy = PolicyConfig()
    stop_pct = pos.stop_loss_pct or policy.default_stop_loss_pct
    stop_price = pos.avg_cost * (1 - stop_pct / HUNDRED)
    price = stop_price * fraction  # at or below the stop
    if price <= 0:
        price = stop_price
    exits = filter_exits(exits_due([pos], {"BTC-USD": price}, NOW, policy), RiskState(state))
    assert len(exits) == 1
    assert exits[0].reason is ExitReason.STOP_LOSS
    assert exits[0].base_size == pos.base_size
