"""Benchmarks (`make bench`), never part of the pass/fail suite."""
