"""Drill timelines: a Master Scenario Events List (MSEL) from a simulated run.

``citysim drill SCENARIO`` runs the scenario and writes ``msel.csv`` and
``msel.md`` (:mod:`citysim.drill.msel`); ``citysim drill --from RESULTS_DIR``
uses saved results; ``citysim drill --compare msel.csv`` compares the times
observed in the exercise with the simulated ones (:mod:`citysim.drill.compare`).
Each inject names the result-table row it comes from (:mod:`citysim.drill.refs`).
"""
