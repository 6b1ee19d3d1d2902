"""City safety risk: the static QRA of an inventory of hazard sources (:mod:`citysim.risk.qra`).

Its per-source parts, on Dask and resumable: :mod:`citysim.risk.static`;
full citysim runs of the dominant events: :mod:`citysim.risk.dynamic`;
what-ifs (``variants:``): :mod:`citysim.risk.variants`.

The risk file's schema is :mod:`citysim.experiments.risk_spec`; the verb
``citysim risk`` is :mod:`citysim.app.risk`.
"""

from citysim.risk.qra import RiskResult, assess, criterion, fn_curve

__all__ = ["RiskResult", "assess", "criterion", "fn_curve"]
