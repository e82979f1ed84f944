"""Where to build hydrogen stations: the flow-refuelling location model (FRLM).

A flow (trucks a day between two nodes) counts as served when the open stations on its path let
a truck of the given range make the round trip (:mod:`h2lane.siting.rule`). The arc-cover MILP
on HiGHS (:mod:`h2lane.siting.milp`) chooses the stations; the greedy + substitution heuristic
(:mod:`h2lane.siting.greedy`) warm-starts it and stands in for it on huge cases.
"""
