"""Benchmarks of fieldapp against the bare ``sqlite3`` module doing the same irreducible work.

Run ``python -m benchmarks [--quick] [--json] [--units N]``. Each figure is a fieldapp time, a
baseline time measured in the same run, and their ratio (fieldapp / baseline; lower is better).
"""
