"""Fulfilment: fulfilment orders, picking, packing, shipping and tracking."""
