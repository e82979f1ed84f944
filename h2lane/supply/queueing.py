"""Queueing-theory references the simulation is checked against (Erlang C, Pollaczek–Khinchine)."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits in M/M/c with ``offered_load`` = λ/μ erlangs (< servers)."""
    c, a = servers, offered_load
    if a <= 0:
        return 0.0
    if a >= c:
        return 1.0
    term, total = 1.0, 1.0  # Σ_{k<c} a^k / k!, computed stably
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c * c / (c - a)  # a^c / c! · c / (c − a)
    return last / (total + last)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue of M/M/c (same time unit as the rates' inverse)."""
    a = arrival_rate / service_rate
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def mg1_mean_wait(arrival_rate: float, mean_service: float, second_moment: float) -> float:
    """Pollaczek–Khinchine mean wait in queue of M/G/1: λ E[S²] / (2 (1 − ρ))."""
    rho = arrival_rate * mean_service
    if rho >= 1:
        return math.inf
    return arrival_rate * second_moment / (2.0 * (1.0 - rho))


def md1_mean_wait(arrival_rate: float, service: float) -> float:
    """M/D/1 mean wait in queue: ρ S / (2 (1 − ρ))."""
    return mg1_mean_wait(arrival_rate, service, service * service)
