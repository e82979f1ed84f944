"""Stopping criteria and callbacks of the VRP search (the shape of PyVRP's ``solve``).

A criterion says how far the search is (:meth:`StoppingCriterion.fraction`, 1 = stop) from
the iterations done and the seconds elapsed. :class:`MaxRuntime` and :class:`MaxIterations`
are the two limits; :class:`MultipleCriteria` (or a list passed as ``stop=``) stops at the
first one met. The annealing schedule follows the iteration limits when there are any, so
a run with an iteration cap is deterministic for its seed.

Invalid limits (NaN, infinite, zero or negative) raise :class:`~h2lane.errors.OptionError`
naming the command-line option they come from.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from h2lane.errors import OptionError

__all__ = [
    "Improvement",
    "MaxIterations",
    "MaxRuntime",
    "MultipleCriteria",
    "SolveCallbacks",
    "StoppingCriterion",
    "as_criterion",
]


class StoppingCriterion(Protocol):
    """Anything that tells the search how far it is."""

    deterministic: bool
    """True when :meth:`fraction` does not depend on the clock."""

    def fraction(self, iterations: int, seconds: float) -> float:
        """Share of the budget used, ``>= 1`` when the search must stop."""
        ...


def _bad(option: str, what: str, value: object) -> OptionError:
    return OptionError(f"{option} must be a {what}, not {value!r}")


@dataclass(frozen=True, slots=True)
class MaxRuntime:
    """Stop after ``seconds`` of wall-clock time (option ``--time-limit``)."""

    seconds: float
    deterministic = False

    def __post_init__(self) -> None:
        s = self.seconds
        if (
            isinstance(s, bool)
            or not isinstance(s, numbers.Real)
            or not math.isfinite(float(s))
            or float(s) <= 0
        ):
            raise _bad("--time-limit", "finite number of seconds above 0", s)

    def fraction(self, iterations: int, seconds: float) -> float:
        return seconds / float(self.seconds)


@dataclass(frozen=True, slots=True)
class MaxIterations:
    """Stop after ``iterations`` ruin-and-recreate steps (option ``--max-iterations``)."""

    iterations: int
    deterministic = True

    def __post_init__(self) -> None:
        n: object = self.iterations
        ok = isinstance(n, numbers.Integral) and not isinstance(n, bool)
        if isinstance(n, float) and math.isfinite(n) and n.is_integer():
            ok = True
        if not ok or not float(n) > 0:  # type: ignore[arg-type]
            raise _bad("--max-iterations", "whole number above 0", n)
        object.__setattr__(self, "iterations", int(n))  # type: ignore[call-overload]

    def fraction(self, iterations: int, seconds: float) -> float:
        return iterations / float(self.iterations)


class MultipleCriteria:
    """Stops when the first of its criteria is met."""

    def __init__(self, criteria: Iterable[StoppingCriterion]) -> None:
        self.criteria = tuple(criteria)
        if not self.criteria:
            raise OptionError(
                "the search needs a stopping criterion (--time-limit or --max-iterations)"
            )
        self.deterministic = any(c.deterministic for c in self.criteria)
        self._schedule = tuple(c for c in self.criteria if c.deterministic) or self.criteria

    def fraction(self, iterations: int, seconds: float) -> float:
        best = 0.0
        for c in self.criteria:
            best = max(best, c.fraction(iterations, seconds))
        return best

    def schedule_fraction(self, iterations: int, seconds: float) -> float:
        """Progress of the deterministic criteria only (all of them when none is)."""
        best = 0.0
        for c in self._schedule:
            best = max(best, c.fraction(iterations, seconds))
        return best

    @property
    def runtime(self) -> float | None:
        """The tightest :class:`MaxRuntime`, if any."""
        times = [c.seconds for c in self.criteria if isinstance(c, MaxRuntime)]
        return float(min(times)) if times else None

    def __repr__(self) -> str:
        return f"MultipleCriteria({list(self.criteria)!r})"


def as_criterion(
    stop: StoppingCriterion | Iterable[StoppingCriterion] | float | None,
) -> MultipleCriteria:
    """Normalise ``stop=``: a criterion, a list of them, or a number of seconds."""
    if stop is None:
        raise OptionError(
            "the search needs a stopping criterion (--time-limit or --max-iterations)"
        )
    if isinstance(stop, MultipleCriteria):
        return stop
    if isinstance(stop, numbers.Real) and not isinstance(stop, bool):
        return MultipleCriteria([MaxRuntime(float(stop))])
    if hasattr(stop, "fraction"):
        return MultipleCriteria([stop])  # type: ignore[list-item]
    if isinstance(stop, Iterable) and not isinstance(stop, str | bytes):
        flat: list[StoppingCriterion] = []
        for c in stop:
            flat.extend(as_criterion(c).criteria)
        return MultipleCriteria(flat)
    raise OptionError(f"stop must be MaxRuntime, MaxIterations or a list of them, not {stop!r}")


class Improvement(NamedTuple):
    """A new best solution, as passed to :attr:`SolveCallbacks.on_best`."""

    iteration: int
    seconds: float
    cost: float
    vehicles: int


@dataclass(slots=True)
class SolveCallbacks:
    """Hooks the search calls; none of them can change the result.

    ``on_best(Improvement)`` runs on each new best solution (the initial one included);
    ``on_progress(fraction, best_cost)`` about ten times a second and once at the end with
    fraction 1.0. A progress bar belongs to the caller (the CLI draws one from ``on_progress``).
    """

    on_best: Callable[[Improvement], None] | None = None
    on_progress: Callable[[float, float], None] | None = None
    progress_every: float = 0.1
    """Seconds between two ``on_progress`` calls."""
