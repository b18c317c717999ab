"""The showcase app: run it with ``scripts/showcase`` (see the README)."""
