"""BT-1 compact bar storage: recorded text becomes exact Decimals, bad rows name file and row."""

from __future__ import annotations

from array import array
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader.backtest.bars import BarSeries, RowTexts
from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError, ohlcv_problem

PATH = "/data/AAA_USDT-5m.json.gz"


def series(*texts: str, step: int = 300) -> BarSeries:
    return BarSeries.from_texts("AAA-USD", PATH, [i * step for i in range(len(texts))], list(texts))


@given(st.lists(st.text(alphabet="0123456789.,\n", max_size=12), max_size=12), st.data())
def test_perf4_row_texts_give_each_row_as_the_list_would(rows: list[str], data: st.DataObject):
    """One string with row ends (what a cached series reads) stands for the list of rows:
    every index, negative ones and the first rows alike; rows may be empty or hold `\n`."""
    texts = RowTexts.of(rows)
    assert len(texts) == len(rows) and texts.rows() == rows
    assert texts.joined() == "\n".join(rows)
    for index in range(-len(rows), len(rows)):
        assert texts.row(index) == rows[index]
    for index in (len(rows), -len(rows) - 1):
        with pytest.raises(IndexError):
            texts.row(index)
    count = data.draw(st.integers(0, len(rows)))
    assert texts.head(count).rows() == rows[:count]
    assert RowTexts(texts.joined(), texts.ends()).rows() == rows
    assert texts.well_formed()


def test_perf4_row_ends_that_do_not_fit_their_string_are_not_well_formed():
    ends = RowTexts.of(["1,2", "3,4", "5,6"]).ends()
    assert not RowTexts("1,2\n3,4\n5,6x", ends).well_formed()  # the last end short
    assert not RowTexts("1,2\n3,4\n5,", ends).well_formed()  # past the string's end
    assert not RowTexts("1,2\n3,4\n5,6", array("q", [ends[1], ends[0], ends[2]])).well_formed()
    assert not RowTexts("x", array("q")).well_formed()  # no rows, but text
    assert RowTexts("", array("q")).well_formed()


def test_bt1_candle_keeps_the_recorded_text_exactly():
    """BT-1: values are Decimals of the recorded text (no float round trip)."""
    bars = BarSeries.from_rows(
        "BTC-USD",
        PATH,
        [600, 900],
        [
            ["19000.10", "19010.00000001", "18999.9", "19005.5", "8827252.0999999996"],
            ["0.1", "0.3", "0.1", "0.2", "0"],
        ],
    )
    first = bars.candle(0)
    assert first == Candle("BTC-USD", 600, D("19000.10"), D("19010.00000001"), D("18999.9"),
                           D("19005.5"), D("8827252.0999999996"))  # fmt: skip
    assert str(first.volume) == "8827252.0999999996"
    assert str(first.open) == "19000.10"  # the trailing zero survives too
    assert float(first.volume) != first.volume  # a float could not hold it exactly
    second = bars.candle(1)
    assert (second.start, second.close, second.volume) == (900, D("0.2"), D("0"))
    assert second.close == D(1) / D(5)  # 0.2 exactly, not 0.2000000000000000111
    assert len(bars) == 2
    assert bars.first_start() == 600


def test_bt1_lowest_low_and_close_places_read_the_text():
    """BT-1: the lowest low and the most close decimals come from every bar's text."""
    bars = series("10,11,9.5,10.5,1", "10,12,8.25,11.00001,1", "11,11,11,11,0")
    assert bars.lowest_low() == D("8.25")
    assert bars.close_places() == 5
    assert series("1,1,1,1,1").close_places() == 0
    empty = series()
    assert (len(empty), empty.first_start(), empty.close_places()) == (0, None, 0)


def test_bt1_inconsistent_ohlc_names_the_file_and_row():
    """BT-1: a low above the open is rejected when the bar is built, naming file and row."""
    bars = series("10,11,9,10,1", "10,11,9,10,1", "10,12,10.5,11,1")
    assert bars.candle(1).low == D(9)
    with pytest.raises(RecordedDataError) as caught:
        bars.candle(2)
    assert caught.value.path == PATH
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{PATH}:3:")
    assert "inconsistent" in caught.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "10,9,8,9,1",  # high below the open
        "10,11,9,12,1",  # close above the high
        "10,11,9,10,-1",  # negative volume
    ],
)
def test_bt1_other_inconsistent_bars_are_rejected(text: str):
    """BT-1: high below open/close, or a negative volume, is inconsistent too."""
    with pytest.raises(RecordedDataError, match=r"AAA_USDT-5m\.json\.gz:1: inconsistent"):
        series(text).candle(0)


def test_bt1_non_increasing_starts_are_rejected_with_the_row():
    """BT-1: starts must strictly increase; the error names the first offending row."""
    with pytest.raises(RecordedDataError) as caught:
        BarSeries.from_texts("AAA-USD", PATH, [0, 300, 300, 600], ["1,1,1,1,1"] * 4)
    assert (caught.value.path, caught.value.line) == (PATH, 3)
    assert "increasing time order" in caught.value.reason
    with pytest.raises(RecordedDataError, match=r":2: rows are not in increasing"):
        BarSeries.from_rows("AAA-USD", PATH, [600, 300], [["1"] * 5, ["1"] * 5])


def test_bt1_rows_without_five_values_are_rejected_with_the_row():
    """BT-1: `from_rows` wants exactly open, high, low, close, volume per row."""
    with pytest.raises(RecordedDataError) as caught:
        BarSeries.from_rows("AAA-USD", PATH, [0, 60], [["1"] * 5, ["1", "1", "1", "1"]])
    assert (caught.value.line, caught.value.path) == (2, PATH)
    assert "expected 5 numbers" in caught.value.reason


def test_bt1_non_number_text_is_rejected_when_the_candle_is_built():
    """BT-1: storing is lazy; building the bar with a non-number names file and row."""
    bars = series("1,1,1,1,1", "1,1,1,1,1", "abc,2,1,1.5,3")  # accepted when stored
    assert bars.candle(0).open == D(1)
    with pytest.raises(RecordedDataError) as caught:
        bars.candle(2)
    assert (caught.value.path, caught.value.line) == (PATH, 3)
    assert "abc" in caught.value.reason
    with pytest.raises(RecordedDataError, match=r":1: not five numbers"):
        series("1,1,1,1").candle(0)  # four values


@pytest.mark.parametrize(
    "text",
    [
        "1,Infinity,0.5,1.5,3",
        "NaN,2,0.5,1.5,3",
        "1,2,0.5,1.5,inf",
        "1,2,-INF,1.5,3",
        "1,2,0.5,snan,3",
        "1,2,0.5,1.5,-Infinity",
        "1,2,0.5,sNaN,3",
        "1,iNfInItY,0.5,1.5,3",
    ],
)
def test_bt1_non_finite_price_is_rejected_when_the_candle_is_built(text: str):
    """BT-1: 'Infinity' or 'NaN' is not a price (currently an infinite high becomes a
    Candle and a NaN open escapes as a bare decimal.InvalidOperation)."""
    with pytest.raises(RecordedDataError, match=r":1:"):
        series(text).candle(0)


def _spelled(draw: st.DrawFn) -> str:
    """A text Decimal takes: any decimal (NaNs and infinities too) in str, scientific or
    plain form, or a special value in any case, with a sign."""
    value = draw(st.decimals(allow_nan=True, allow_infinity=True))
    forms = [str(value)]
    if value.is_finite():
        forms += [f"{value:e}", f"{value:E}", f"{value:f}"]
    special = "".join(
        ch.upper() if draw(st.booleans()) else ch
        for ch in draw(st.sampled_from(["inf", "infinity", "nan", "snan"]))
    )
    forms.append(draw(st.sampled_from(["", "+", "-"])) + special)
    return draw(st.sampled_from(forms))


@given(st.data())
def test_bt1_a_bar_is_refused_exactly_when_one_of_its_numbers_is_not_finite(data):
    """The finiteness check reads the row's text (an n in it): for every text Decimal
    takes, that is the number's own `is_finite`, whatever the form or case."""
    text = data.draw(st.composite(_spelled)())
    row = f"1,2,0.5,1.5,{text}" if data.draw(st.booleans()) else f"{text},{text},{text},{text},1"
    if D(text).is_finite():
        try:
            series(row).candle(0)
        except RecordedDataError as exc:
            assert "finite" not in exc.reason  # an inconsistent bar, not a refused number
    else:
        with pytest.raises(RecordedDataError, match="not five finite numbers"):
            series(row).candle(0)


def test_bt1_non_number_low_is_a_recorded_data_error():
    """BT-1: a non-number low should be a RecordedDataError naming file and row (currently
    lowest_low raises a bare decimal.InvalidOperation)."""
    with pytest.raises(RecordedDataError, match=r":2:"):
        series("1,1,1,1,1", "1,2,abc,1.5,3").lowest_low()


@given(st.lists(st.sampled_from(["1", "1.0", "1.00", "2.5", "2.50", "0.1", "1E+1", "10"]),
                min_size=4, max_size=60))  # fmt: skip
def test_bt1_prices_written_alike_stay_as_written(texts: list[str]):
    """Each candle holds its own text's Decimal, bar after bar: equal values written
    differently keep their own exponent."""
    rows = [[texts[i % len(texts)] for i in range(k, k + 4)] + [str(k)] for k in range(len(texts))]
    bars = BarSeries.from_rows("AAA-USD", PATH, list(range(0, 60 * len(rows), 60)), rows)
    for index, row in enumerate(rows):
        if ohlcv_problem(*(D(x) for x in row)) is not None:
            continue
        candle = bars.candle(index)
        built = (candle.open, candle.high, candle.low, candle.close, candle.volume)
        assert [str(x) for x in built] == [str(D(x)) for x in row]


@given(st.data())
def test_perf4_a_close_alone_is_the_candles_close(data: st.DataObject):
    """`close(i)` (the report's benchmark and closing marks) is the very Decimal
    `candle(i).close` gives — digits and exponent — for closes written any way."""
    value = data.draw(st.decimals(min_value=D("1e-8"), max_value=D("1e9"), places=None))
    close = data.draw(st.sampled_from([str(value), f"{value:f}", f"{value:E}"]))
    high, low = max(D(close), D(1)), min(D(close), D(1))
    bars = series(f"1,{high},{low},{close},5")
    candle_close = bars.candle(0).close
    assert bars.close(0) == candle_close and str(bars.close(0)) == str(candle_close)


@pytest.mark.parametrize("text", ["1,1,1,x,1", "1,1,1,1", "1,1,1,NaN,1", "1,1,1,0,1", "1,1,1,-1,1"])
def test_bt1_a_close_alone_refuses_what_the_candle_refuses(text: str):
    with pytest.raises(RecordedDataError, match=r":1:"):
        series(text).close(0)
