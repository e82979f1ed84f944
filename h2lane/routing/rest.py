"""Driver rest rules shared by the trip planner, dispatch and the VRP time model.

A driver may drive at most ``max_drive_h`` hours without a break of at least ``break_min``
minutes; a stop at a station (waiting plus refuelling) of that length counts as the break,
and a shorter stop may be extended to count. At most ``max_daily_drive_h`` hours of driving
make one driving day, after which a rest of ``daily_rest_h`` hours resets both counters (a
stop or wait that long is that rest). Defaults and sources: :mod:`h2lane.params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from h2lane import params
from h2lane.errors import OptionError


@dataclass(frozen=True, slots=True)
class RestRules:
    """Limits on driving time; ``enabled=False`` plans without breaks (benchmark conventions)."""

    max_drive_h: float = params.REST_MAX_CONTINUOUS_DRIVE_H.value
    break_min: float = params.REST_MIN_BREAK_MIN.value
    max_daily_drive_h: float = params.REST_MAX_DAILY_DRIVE_H.value
    daily_rest_h: float = params.REST_DAILY_REST_H.value
    enabled: bool = True

    def __post_init__(self) -> None:
        checks = {
            "max_drive_h": (self.max_drive_h, 0.25, 24.0),
            "break_min": (self.break_min, 0.0, 600.0),
            "max_daily_drive_h": (self.max_daily_drive_h, 0.25, 24.0),
            "daily_rest_h": (self.daily_rest_h, 0.0, 48.0),
        }
        for name, (value, low, high) in checks.items():
            if not (low <= value <= high):  # also rejects NaN
                raise OptionError(
                    f"rest rule {name} must be between {low:g} and {high:g}, not {value!r}"
                )

    @property
    def break_h(self) -> float:
        return self.break_min / 60.0

    def to_dict(self) -> dict[str, float | bool]:
        """The rules as written in plan documents."""
        return {
            "enabled": self.enabled,
            "max_drive_h": self.max_drive_h,
            "break_min": self.break_min,
            "max_daily_drive_h": self.max_daily_drive_h,
            "daily_rest_h": self.daily_rest_h,
        }

    @classmethod
    def off(cls) -> RestRules:
        """No breaks and no daily limit."""
        return cls(enabled=False)
