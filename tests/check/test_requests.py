import pytest

from monitor.check.requests import NoPaging, page_request
from tests.helpers import catalogue


def test_page_one_is_the_source_itself():
    source = catalogue()["nmpa-ggtg"]
    assert page_request(source, 1) == (source.url, source.request)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nmpa-ggtg", "https://www.nmpa.gov.cn/xxgk/ggtg/index_1.html"),  # TRS counts from 0
        ("gdmpa-tzgg", "https://mpa.gd.gov.cn/xwdt/tzgg/index_2.html"),
        ("nhc-qjjys-rlyczygl", "https://www.nhc.gov.cn/qjjys/rlyczygl/list_2.shtml"),
        ("most-tztg", "https://www.most.gov.cn/tztg/index_1.html"),
    ],
)
def test_page_two_urls(name, expected):
    assert page_request(catalogue()[name], 2)[0] == expected


def test_json_apis_page_through_their_form_field():
    source = catalogue()["cde-guidelines"]
    url, request = page_request(source, 3)
    assert url == source.url and request.form["pageNum"] == "3"
    assert source.request.form["pageNum"] == "1"  # the catalogue entry is untouched


def test_a_source_without_paging_says_so():
    with pytest.raises(NoPaging, match="govcn-zhengce"):
        page_request(catalogue()["govcn-zhengce"], 2)
