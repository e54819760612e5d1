"""Backtest (BT-1): the live decision and execution code over recorded candles."""
