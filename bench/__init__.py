"""Benchmarks: synthetic data (`python -m bench.generate`) and an HTTP load runner (`python -m bench.load`).

Performance budgets live here, never in timed tests; pytest does not collect this package (testpaths is
`tests`). See bench/README.md for how to run them and the figures measured so far.
"""
