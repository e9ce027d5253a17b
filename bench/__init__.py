"""Benchmarks at provincial scale, run by ``make bench`` (see bench/README.md)."""
