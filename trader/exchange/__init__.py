"""Exchange adapter (EX-1..4): the `Exchange` interface and its Coinbase implementation."""
