"""Text from third-party pages, cleaned at the boundary: what a title may carry into a terminal or a subject."""

import pytest

from monitor.extract.text import MAX_TITLE_CHARS, clean_text, clean_title


@pytest.mark.parametrize(
    "hostile",
    ["\x1b[31m", "\x07", "\x08", "\x7f", "\u202e", "\u200f", "\u2066", "\x85", "\x00"],
    ids=["ESC", "BEL", "BS", "DEL", "RLO", "RLM", "LRI", "NEL", "NUL"],
)
def test_control_and_bidi_characters_never_reach_a_title(hostile):
    title = clean_title(f"关于{hostile}细胞治疗产品的通告")
    assert hostile not in title
    assert all(ch.isprintable() or ch == " " for ch in title), repr(title)
    assert title.startswith("关于") and title.endswith("细胞治疗产品的通告")


def test_what_agencies_write_is_kept():
    assert clean_text("国家药监局关于发布《ＣＡＲ－Ｔ细胞治疗产品》（2026年第1号）〔2026〕的通告") == (
        "国家药监局关于发布《CAR-T细胞治疗产品》（2026年第1号）〔2026〕的通告"
    )


def test_a_title_is_capped_and_says_so():
    title = clean_title("细胞治疗" * 25_000)
    assert len(title) == MAX_TITLE_CHARS and title.endswith("…")
