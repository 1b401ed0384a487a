"""Benchmarks: each metric is reported as a ratio against a reference measured in the same run."""
