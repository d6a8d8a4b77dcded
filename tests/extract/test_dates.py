import datetime as dt

import pytest

from monitor.extract.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-06-21", dt.date(2023, 6, 21)),
        ("(2026-09-22)", dt.date(2026, 9, 22)),
        ("[ 2026-01-14 ]", dt.date(2026, 1, 14)),
        ("\n                2026-09-20\n              ", dt.date(2026, 9, 20)),
        ("20260601", dt.date(2026, 6, 1)),
        ("2026-09-22-10:30:00", dt.date(2026, 9, 22)),
        ("2026年09月04日", dt.date(2026, 9, 4)),
        ("（2023年6月21日）", dt.date(2023, 6, 21)),
        ("2026.07.08", dt.date(2026, 7, 8)),
        ("2026/7/8", dt.date(2026, 7, 8)),
        ("发布时间：2026-09-17", dt.date(2026, 9, 17)),
        (1_758_556_800_000, dt.date(2025, 9, 23)),  # epoch milliseconds, read in Asia/Shanghai
    ],
)
def test_date_forms_used_by_these_sites(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "（2023年第12号）",
        "2026-13-45",
        "国药监药注〔2023〕12号",
        253402300799000,
        1e16,
        float("inf"),
        float("nan"),
    ],
)
def test_no_date_is_invented(text):
    assert parse_date(text) is None
