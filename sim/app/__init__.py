"""The verbs' orchestration: load, compute, write the result folder.

One module per verb: :mod:`~citysim.app.run`, :mod:`~citysim.app.validate`,
:mod:`~citysim.app.coverage`, :mod:`~citysim.app.optimize`,
:mod:`~citysim.app.report`, :mod:`~citysim.app.drill` and
:mod:`~citysim.app.experiments` (batch, sweep, calibrate). Every verb that
writes a folder for a scenario picks it by one rule
(:func:`~citysim.app.folders.output_folder`). The ``citysim`` command
(:mod:`citysim.cli`) parses, calls these and prints; the Python front door
(:mod:`citysim`) re-exports :func:`~citysim.app.run.run` and the experiments.
Nothing below this layer imports it.
"""
