"""The single-station study: one station, Poisson arrivals, results comparable with theory.

``h2lane simulate station`` runs the same engine as the network simulation on one always-open
station. With exponential fills and no connect time it is M/M/c (Erlang C); with fixed fills
and one dispenser M/D/1 (Pollaczek–Khinchine); the answer carries the theory where it applies.
Storage is unlimited unless ``storage_kg`` is given; then a compressor fed by an unlimited
source refills it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from h2lane import params
from h2lane.supply.arrivals import FillDist, poisson_arrivals
from h2lane.supply.queueing import erlang_c, md1_mean_wait, mg1_mean_wait, mmc_mean_wait
from h2lane.supply.results import balance_kg, batch_means
from h2lane.supply.sim import Network, SimSettings, StationSpec, percentile


@dataclass(frozen=True, slots=True)
class StationStudy:
    """Inputs of the single-station study (the CLI options)."""

    dispensers: int
    arrivals_per_hour: float
    fill_kg: float
    nozzle_g_s: float
    fill_dist: FillDist = "fixed"
    connect_min: float = 0.0
    hours: float = 1000.0
    warmup_hours: float = 50.0
    seed: int = 1
    storage_kg: float | None = None
    compressor_kg_h: float | None = None
    min_level_kg: float = 0.0

    @property
    def mean_service_h(self) -> float:
        return self.connect_min / 60.0 + self.fill_kg * 1000.0 / self.nozzle_g_s / 3600.0

    @property
    def compressor(self) -> float:
        """kg/h: given, else the mean demand spread over the compressor's daily run hours."""
        if self.compressor_kg_h is not None:
            return self.compressor_kg_h
        return self.arrivals_per_hour * self.fill_kg * 24.0 / params.COMPRESSOR_RUN_H_PER_DAY.value


def run_station_study(study: StationStudy) -> dict[str, Any]:
    """Simulate and summarise; ``theory`` holds Erlang C / P-K values where they apply."""
    total_h = study.warmup_hours + study.hours
    rng = np.random.default_rng(study.seed)
    arrivals = poisson_arrivals(
        rng, [study.arrivals_per_hour], total_h, study.fill_kg, study.fill_dist
    )
    spec = StationSpec(
        id="station",
        name="single station",
        dispensers=study.dispensers,
        nozzle_g_s=study.nozzle_g_s,
        connect_min=study.connect_min,
        storage_kg=study.storage_kg,
        min_level_kg=study.min_level_kg,
        compressor_kg_h=study.compressor,
        site=None,
    )
    net = Network(
        [spec],
        {"station": arrivals},
        [],
        SimSettings(horizon_h=total_h, warmup_h=study.warmup_hours, record_hourly=False),
    )
    net.run()
    st = net.stations[0]
    waits = np.asarray(st.waits) / 60.0
    mean, se = batch_means(waits)
    waited = (waits > 1e-9).astype(np.float64)
    p_mean, p_se = batch_means(waited)
    util = st.busy_s / 3600.0 / (study.dispensers * study.hours)
    out: dict[str, Any] = {
        "fills": st.fills,
        "refused": st.refused,
        "mean_wait_min": mean,
        "mean_wait_se_min": se,
        "p95_wait_min": percentile(waits, 95),
        "max_wait_min": float(waits.max()) if waits.size else 0.0,
        "p_wait": p_mean,
        "p_wait_se": p_se,
        "utilisation": util,
        "kg_dispensed": st.dispensed_stat_g / 1000.0,
        "stockout_h": st.stockout_s / 3600.0,
        "hours": study.hours,
        "warmup_hours": study.warmup_hours,
        "seed": study.seed,
        "balance": balance_kg(net),
        "theory": theory(study),
        "notes": [
            "standard errors by 20 batch means of the fills after the warm-up",
            "waits are minutes from arrival to the start of the fill",
        ],
    }
    return out


def theory(study: StationStudy) -> dict[str, Any] | None:
    """Erlang C (M/M/c) or Pollaczek–Khinchine (M/G/1) values where the model is exact."""
    lam = study.arrivals_per_hour
    s = study.mean_service_h
    rho = lam * s / study.dispensers
    base: dict[str, Any] = {"offered_load_erlang": lam * s, "utilisation": rho}
    if rho >= 1:
        return {**base, "model": "unstable (utilisation ≥ 1)"}
    if study.storage_kg is not None:
        return {**base, "model": "none (finite storage)"}
    if study.fill_dist == "exponential" and study.connect_min == 0:
        mu = 1.0 / s
        return {
            **base,
            "model": "M/M/c (Erlang C)",
            "p_wait": erlang_c(study.dispensers, lam / mu),
            "mean_wait_min": mmc_mean_wait(study.dispensers, lam, mu) * 60.0,
        }
    if study.dispensers == 1:
        if study.fill_dist == "fixed":
            return {
                **base,
                "model": "M/D/1 (Pollaczek–Khinchine)",
                "p_wait": rho,
                "mean_wait_min": md1_mean_wait(lam, s) * 60.0,
            }
        c = study.connect_min / 60.0  # service = c + Exp(mean b): E[S²] = c² + 2cb + 2b²
        b = s - c
        return {
            **base,
            "model": "M/G/1 (Pollaczek–Khinchine)",
            "p_wait": rho,
            "mean_wait_min": mg1_mean_wait(lam, s, c * c + 2 * c * b + 2 * b * b) * 60.0,
        }
    return {**base, "model": "none (M/G/c has no closed form)"}
