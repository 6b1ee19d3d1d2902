"""City safety risk: the static QRA of an inventory of hazard sources (:mod:`citysim.risk.qra`).

The risk file's schema is :mod:`citysim.experiments.risk_spec`; the verb
``citysim risk`` is :mod:`citysim.app.risk`.
"""

from citysim.risk.qra import RiskResult, assess, criterion, fn_curve

__all__ = ["RiskResult", "assess", "criterion", "fn_curve"]
