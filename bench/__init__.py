"""The measurement suite behind `make bench` (docs/benchmarks.md, bench/results.json).

Benchmarks measure and report; they assert no speed. `python -m bench --help`.
"""
