"""Customer pages reached by a signed link, no account needed: order tracking."""
