"""One rule for times: naive times are China Standard Time (UTC+08:00); offsets are accepted.

Every time h2lane reads — a scenario's ready/due times, ``--depart``, a ledger date, a plan
document, an API request — goes through :func:`parse_datetime`: an ISO 8601 date-time with
an offset (``2026-12-02T08:00+00:00``) is converted to China time, one without an offset is
taken as China time. Every time h2lane writes carries the offset (``2026-12-02T16:00+08:00``).
China keeps one zone and no daylight saving, so a fixed offset is exact.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")
YEARS = (1970, 2200)
"""Years a plan may touch; times outside are refused as input (they cannot be planned)."""


def parse_datetime(text: object) -> datetime | None:
    """An aware China-time datetime from ISO 8601 text (date-only means 00:00), or None.

    None also for times outside :data:`YEARS`.
    """
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        value = datetime.combine(text, time())
    elif isinstance(text, str) and text.strip():
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    else:
        return None
    if not YEARS[0] <= value.year <= YEARS[1]:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=CHINA)
    return value.astimezone(CHINA)


def parse_clock(text: str, day: date | None = None) -> datetime | None:
    """``HH:MM`` on ``day`` (default today in China) or an ISO date-time; None if neither."""
    text = text.strip()
    if len(text) <= 5 and ":" in text:
        try:
            h, m = (int(x) for x in text.split(":"))
            clock = time(h, m)
        except ValueError:
            return None
        return datetime.combine(day or today(), clock, tzinfo=CHINA)
    return parse_datetime(text)


def today() -> date:
    """Today's date in China."""
    return datetime.now(CHINA).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """China time ``hour:minute`` on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA)


def iso(value: datetime) -> str:
    """ISO 8601 to the minute with the offset, in China time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(CHINA).isoformat(timespec="minutes")


def hours_of_day(value: datetime) -> float:
    """Hours after local (China) midnight."""
    local = value.astimezone(CHINA) if value.tzinfo else value
    return local.hour + local.minute / 60.0 + local.second / 3600.0
