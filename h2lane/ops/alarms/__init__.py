"""Hydrogen safety alarms: rules as data, the engine that evaluates them, the alarm lifecycle."""

from h2lane.ops.alarms.engine import AlarmEngine, Condition, ReachVerdict, RefuelEvent
from h2lane.ops.alarms.lifecycle import Alarm, AlarmLog, AlarmStateError, UnknownAlarmError
from h2lane.ops.alarms.rules import LEVELS, Rule, default_rules, load_rules

__all__ = [
    "LEVELS",
    "Alarm",
    "AlarmEngine",
    "AlarmLog",
    "AlarmStateError",
    "Condition",
    "ReachVerdict",
    "RefuelEvent",
    "Rule",
    "UnknownAlarmError",
    "default_rules",
    "load_rules",
]
