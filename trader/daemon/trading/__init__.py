"""The trading side of the daemon: venue link, market data, decisions, execution."""
