"""The alarm log: raise → acknowledge → resolve, never deleted, one alarm per episode.

An alarm is raised when a rule's condition starts (:class:`~h2lane.ops.alarms.engine.Condition`
with ``action = "raise"``). The condition may clear on its own (``cleared_at``), but the alarm
stays in the log until a person resolves it; acknowledging says who has seen it. A new episode
of the same condition (after it cleared) is a new alarm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from h2lane.errors import InfeasibleError, InputError
from h2lane.ops.alarms.engine import Condition, Key
from h2lane.timeutil import iso

State = Literal["active", "acknowledged", "resolved"]
STATES: tuple[State, ...] = ("active", "acknowledged", "resolved")


class AlarmStateError(InfeasibleError):
    """The alarm is not in a state that allows the action (HTTP 409)."""


def next_state(alarm_id: int, state: str, action: str) -> State:
    """The state an ``ack`` or ``resolve`` moves an alarm to; :class:`AlarmStateError` when
    its ``state`` does not allow the action. The one statement of the lifecycle's rules."""
    if action == "ack":
        if state != "active":
            raise AlarmStateError(
                f"alarm {alarm_id} is {state}: only an active alarm can be acknowledged"
            )
        return "acknowledged"
    if state == "resolved":
        raise AlarmStateError(f"alarm {alarm_id} is already resolved")
    return "resolved"


class UnknownAlarmError(InputError):
    """No alarm has that id (HTTP 404)."""

    http_status = 404


@dataclass(slots=True)
class Alarm:
    """One alarm of the log."""

    id: int
    rule: str
    level: str
    device: str
    subject: str
    message: str
    raised_at: datetime
    value: float | None = None
    state: State = "active"
    cleared_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    notes: list[dict[str, str]] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.rule, self.device, self.subject, self.level)

    def as_dict(self) -> dict[str, Any]:
        def t(v: datetime | None) -> str | None:
            return iso(v) if v is not None else None

        return {
            "id": self.id,
            "rule": self.rule,
            "level": self.level,
            "device": self.device,
            "subject": self.subject,
            "state": self.state,
            "raised_at": t(self.raised_at),
            "message": self.message,
            "value": self.value,
            "cleared_at": t(self.cleared_at),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": t(self.acknowledged_at),
            "resolved_by": self.resolved_by,
            "resolved_at": t(self.resolved_at),
            "notes": list(self.notes),
        }


class AlarmLog:
    """Alarms in memory, applying the lifecycle rules (the service keeps the same in its DB)."""

    def __init__(self) -> None:
        self.alarms: dict[int, Alarm] = {}
        self.open_episode: dict[Key, int] = {}

    def apply(self, c: Condition) -> Alarm | None:
        """Record a condition: a raise opens an alarm, a clear marks its episode cleared."""
        if c.action == "raise":
            if c.key in self.open_episode:
                return None  # the episode already has its alarm
            alarm = Alarm(
                len(self.alarms) + 1,
                c.rule,
                c.level,
                c.device,
                c.subject,
                c.message,
                c.time,
                c.value,
            )
            self.alarms[alarm.id] = alarm
            self.open_episode[c.key] = alarm.id
            return alarm
        aid = self.open_episode.pop(c.key, None)
        if aid is None:
            return None
        alarm = self.alarms[aid]
        alarm.cleared_at = c.time
        return alarm

    def get(self, alarm_id: int) -> Alarm:
        if alarm_id not in self.alarms:
            raise UnknownAlarmError(f"no alarm has id {alarm_id}")
        return self.alarms[alarm_id]

    def acknowledge(self, alarm_id: int, by: str, at: datetime, note: str = "") -> Alarm:
        alarm = self.get(alarm_id)
        alarm.state = next_state(alarm_id, alarm.state, "ack")
        alarm.acknowledged_by, alarm.acknowledged_at = by, at
        if note:
            alarm.notes.append({"time": iso(at), "by": by, "note": note})
        return alarm

    def resolve(self, alarm_id: int, by: str, at: datetime, note: str = "") -> Alarm:
        alarm = self.get(alarm_id)
        alarm.state = next_state(alarm_id, alarm.state, "resolve")
        alarm.resolved_by, alarm.resolved_at = by, at
        if note:
            alarm.notes.append({"time": iso(at), "by": by, "note": note})
        return alarm

    def listing(self, state: State | None = None) -> list[Alarm]:
        return [a for a in self.alarms.values() if state is None or a.state == state]
