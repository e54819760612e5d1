"""The decision pipeline shared by the daemon and the backtest."""
