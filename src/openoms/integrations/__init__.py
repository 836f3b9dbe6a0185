"""Integrations with other systems: webhooks (and later channels, carriers, imports)."""
