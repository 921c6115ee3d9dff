"""Dates and times as edXML writes them (yyyy/MM/dd, local time UTC+07:00) and as senders do."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Formats seen in the field (vxp-edxml.md §8, §9.5); a trailing time part is tolerated on dates.
_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})"),
)
_TIME = re.compile(
    r"[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(text: str) -> date:
    """Read a date in yyyy/MM/dd, yyyy-MM-dd or dd/MM/yyyy (a time part is ignored).

    :raises ValueError: no known format matches or the date does not exist.
    """
    value = text.strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m and (m.end() == len(value) or _TIME.match(value, m.end())):
            return date(int(m["y"]), int(m["m"]), int(m["d"]))
    raise ValueError(f"unknown date format: {text!r}")


def parse_timestamp(text: str) -> datetime:
    """Read a timestamp such as `2024/05/02 09:15:00`; naive values are Vietnam local time.

    :raises ValueError: no known format matches.
    """
    value = text.strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if not m:
            continue
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m.end() == len(value):
            return datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
        t = _TIME.match(value, m.end())
        if t:
            zone = _zone(t["tz"]) if t["tz"] else VN_TZ
            h, mi, sec = int(t["H"]), int(t["M"]), int(t["S"] or 0)
            return datetime(day.year, day.month, day.day, h, mi, sec, tzinfo=zone)
    raise ValueError(f"unknown timestamp format: {text!r}")


def _zone(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def format_date(value: date) -> str:
    """Write a date as edXML does: yyyy/MM/dd."""
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def format_timestamp(value: datetime) -> str:
    """Write an aware timestamp as edXML does: yyyy/MM/dd HH:mm:ss in Vietnam local time.

    :raises ValueError: the timestamp is naive.
    """
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    local = value.astimezone(VN_TZ)
    return f"{format_date(local)} {local.hour:02d}:{local.minute:02d}:{local.second:02d}"


def format_vn(value: datetime) -> str:
    """Write an aware timestamp as dd/MM/yyyy HH:mm:ss in Vietnam local time (API lists)."""
    v = value.astimezone(VN_TZ)
    return f"{v.day:02d}/{v.month:02d}/{v.year:04d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
