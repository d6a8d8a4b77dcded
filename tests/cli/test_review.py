"""The log as exported: cells a spreadsheet would run are neutralised."""

import pytest

from monitor.store.export import spreadsheet_safe


@pytest.mark.parametrize("cell", ['=HYPERLINK("https://evil.example","点击")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_a_title_that_starts_like_a_formula_is_exported_as_text(cell):
    assert spreadsheet_safe(cell) == "'" + cell


def test_ordinary_cells_are_exported_as_they_are():
    for cell in ("国家药监局关于发布《细胞治疗产品》的通告", "https://www.nmpa.gov.cn/", 2.5, True, None):
        assert spreadsheet_safe(cell) == cell
