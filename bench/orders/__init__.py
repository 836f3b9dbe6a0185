"""Placing orders through HTTP against the ceilings: raw SQL and an empty endpoint."""
