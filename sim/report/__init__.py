"""Reports of saved results: one self-contained HTML page per run, batch or sweep.

``citysim report RESULTS_DIR`` calls :func:`citysim.report.html.write_report`.
"""
