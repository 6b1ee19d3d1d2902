"""citysim performance suite: ``python -m benchmarks.run`` (see README.md).

Not part of pytest: wall-clock numbers depend on the machine and its load.
``tests/test_benchmarks_smoke.py`` only checks that every benchmark runs at
its smallest size and that both sides compute the same thing.
"""
