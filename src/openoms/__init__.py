"""OpenOMS: an open-source order management system."""

__version__ = "0.1.0"
