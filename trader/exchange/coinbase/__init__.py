"""Coinbase Advanced Trade implementation of the `Exchange` interface (EX-1..4)."""
