"""One validation check: a model's value against an independent published reference.

Each model's module in this package (``residents``, ``flood``, ``chemical``,
``fire``, ``response`` ...) exposes ``checks(fig_dir: Path) -> list[Check]``:
it runs the reference cases of MODELS.md through the model's real entry
points (a scenario, a hazard built from its config, the response system),
draws its figures into ``fig_dir`` and returns one :class:`Check` per
compared number. The reference values are written here by hand from their
sources, never computed by the model's own code path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    """A model's value next to its reference.

    Attributes
    ----------
    model
        The model, as titled in the report (``"Chemical dispersion"``).
    case
        The reference case (``"CCPS puff, class F, 2 m/s, 500 m"``).
    quantity
        What is compared, with its unit (``"peak ground concentration (kg/m³)"``).
    reference
        The published value.
    source
        Where the reference comes from (author, year, table or page).
    value
        The model's value, computed through its real entry point.
    tolerance
        Allowed relative error (``0.02`` = 2 %), or absolute when ``absolute``.
    absolute
        Whether ``tolerance`` is absolute (in the quantity's unit).
    why
        Why this tolerance (one line).
    figure
        File name of a figure in the report's image folder, if any.
    """

    model: str
    case: str
    quantity: str
    reference: float
    source: str
    value: float
    tolerance: float
    absolute: bool = False
    why: str = ""
    figure: str = field(default="")

    @property
    def error(self) -> float:
        """Relative error (or absolute, when ``absolute``)."""
        diff = self.value - self.reference
        if self.absolute:
            return diff
        return diff / abs(self.reference) if self.reference else math.inf * (diff != 0)

    @property
    def ok(self) -> bool:
        """Whether the value is within tolerance (NaN never is)."""
        return bool(math.isfinite(self.value) and abs(self.error) <= self.tolerance)
