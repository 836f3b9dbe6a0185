"""Benchmarks for OpenOMS (``make bench``); results go to ``bench/results/`` and the docs."""
