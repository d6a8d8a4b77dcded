"""Publication dates in the forms these sites print, read as Asia/Shanghai calendar dates."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# 2023-06-21, 2023/6/21, 2023.07.08, 2023年6月21日, (2026-09-22), [ 2026-01-14 ], 2026-09-22-10:30:00
_SEPARATED = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
# 20260601
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


def _make(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(value: object) -> dt.date | None:
    """The first plausible date in `value`, or None. Accepts text, epoch milliseconds and seconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        if seconds > 10**8:
            try:
                return dt.datetime.fromtimestamp(seconds, SHANGHAI).date()
            except (OverflowError, ValueError, OSError):  # placeholders such as 9999-12-31, inf, nan
                return None
        try:
            value = str(int(value))
        except (OverflowError, ValueError):
            return None
    text = str(value)
    for pattern in (_SEPARATED, _COMPACT):
        for match in pattern.finditer(text):
            if date := _make(*match.groups()):
                return date
    return None
