"""Per-deployment choices of task tracking, with the defaults official reports use."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from eoffice.tasks.rules import (
    DEFAULT_RATE_FORMULA,
    ExtensionPolicy,
    RateFormula,
    StatusPolicy,
)

COMPLETION_FORMULAS = frozenset(
    {RateFormula.COMPLETION_RATE, RateFormula.COMPLETION_RATE_ALL_ASSIGNED}
)


@dataclass(frozen=True)
class TaskPolicy:
    """How deadlines, statuses and lateness rates are judged in this deployment."""

    extension_policy: ExtensionPolicy = ExtensionPolicy.IN_FORCE_AT_REQUEST
    """Which deadline lateness is measured against once extensions were granted."""
    status: StatusPolicy = field(default_factory=StatusPolicy)
    """DUE_SOON threshold (working days) and deadline rolling."""
    rate_formula: RateFormula = DEFAULT_RATE_FORMULA
    """The lateness rate reports show (and write under the table)."""
    completion_formula: RateFormula = RateFormula.COMPLETION_RATE
    """The completion rate reports show beside it."""
    target_rate: Fraction = Fraction(3, 100)
    """The goal line drawn on charts: at or below it a unit is green."""
    alert_rate: Fraction = Fraction(5, 100)
    """Above the goal and up to this rate a unit is amber; above it, red."""

    def __post_init__(self) -> None:
        """Check that each formula measures what its field says.

        :raises ValueError: a completion formula as the lateness rate, or the reverse.
        """
        if self.rate_formula in COMPLETION_FORMULAS:
            raise ValueError(f"{self.rate_formula} là tỷ lệ hoàn thành, không phải tỷ lệ quá hạn")
        if self.completion_formula not in COMPLETION_FORMULAS:
            raise ValueError(f"{self.completion_formula} không phải tỷ lệ hoàn thành")

    @classmethod
    def from_settings(cls, settings: Any) -> TaskPolicy:
        """Build the policy from the settings object.

        Only ``due_soon_working_days`` exists in the settings today; the other fields are read
        when present (``task_extension_policy``, ``lateness_rate_formula``,
        ``lateness_target_percent``, ``lateness_alert_percent``) and default otherwise.
        """
        target = getattr(settings, "lateness_target_percent", 3)
        alert = getattr(settings, "lateness_alert_percent", 5)
        return cls(
            extension_policy=ExtensionPolicy(
                getattr(settings, "task_extension_policy", ExtensionPolicy.IN_FORCE_AT_REQUEST)
            ),
            status=StatusPolicy(due_soon_working_days=settings.due_soon_working_days),
            rate_formula=RateFormula(
                getattr(settings, "lateness_rate_formula", DEFAULT_RATE_FORMULA)
            ),
            target_rate=Fraction(str(target)) / 100,
            alert_rate=Fraction(str(alert)) / 100,
        )

    def rag(self, rate: Fraction | None) -> str:
        """Return ``green``, ``amber``, ``red`` for a lateness rate, or ``none`` without one."""
        if rate is None:
            return "none"
        if rate <= self.target_rate:
            return "green"
        return "amber" if rate <= self.alert_rate else "red"


DEFAULT_POLICY = TaskPolicy()
