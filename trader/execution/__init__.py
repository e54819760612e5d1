"""Execution (X-1..6): intents committed before any request, one exchange order per intent."""
