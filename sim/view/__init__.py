"""The drill room: a running scenario watched and steered in the browser (``citysim view``).

:mod:`citysim.view.session` holds the live model and its injects (no web
code); :mod:`citysim.view.mapdata` turns a model into what the map draws;
the Solara page itself is :mod:`citysim.app.view`.
"""
