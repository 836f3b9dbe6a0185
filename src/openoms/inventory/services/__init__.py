"""Inventory use cases, one module per family: stock, reservations, transfers."""
