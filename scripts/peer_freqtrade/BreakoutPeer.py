from freqtrade.strategy import IStrategy
from pandas import DataFrame


class BreakoutPeer(IStrategy):
    """Long when the close clears the previous 12 h high by 0.2 %; 3 % stop, 8 % target,
    out after 8 h."""

    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.03
    minimal_roi = {"0": 0.08, "480": -1}  # noqa: RUF012 (freqtrade reads a class dict)
    startup_candle_count = 144
    process_only_new_candles = True

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["level"] = dataframe["high"].rolling(144).max().shift(1) * 1.002
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] > dataframe["level"], "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe
