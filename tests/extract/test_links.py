import pytest

from monitor.extract.links import canonical_key, is_file_link, resolve, stable_key

LIST = "https://www.nmpa.gov.cn/xxgk/ggtg/index.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (
            "../../xxgk/ggtg/zhggtg/20260922184421167.html",
            "https://www.nmpa.gov.cn/xxgk/ggtg/zhggtg/20260922184421167.html",
        ),
        (
            "../../zwfw/zwfwgggs/x/20260921092151193.html",
            "https://www.nmpa.gov.cn/zwfw/zwfwgggs/x/20260921092151193.html",
        ),
        ("./202609/t20260901_1.html", "https://www.nmpa.gov.cn/xxgk/ggtg/202609/t20260901_1.html"),
        ("/qjjys/rlyczygl/202609/abc.shtml", "https://www.nmpa.gov.cn/qjjys/rlyczygl/202609/abc.shtml"),
        ("http://mpa.gd.gov.cn/a/post_1.html", "http://mpa.gd.gov.cn/a/post_1.html"),
        ("//www.gov.cn/zhengce/content_1.htm", "https://www.gov.cn/zhengce/content_1.htm"),
        (" ./a.html#top ", "https://www.nmpa.gov.cn/xxgk/ggtg/a.html"),
    ],
)
def test_every_link_form_resolves(href, expected):
    assert resolve(LIST, href) == expected


@pytest.mark.parametrize("href", ["", "javascript:void(0)", "#", "mailto:a@b.cn", None])
def test_non_links_are_dropped(href):
    assert resolve(LIST, href) is None


def test_http_and_https_rows_share_a_key():
    assert canonical_key("http://mpa.gd.gov.cn/a/post_1.html") == canonical_key("https://mpa.gd.gov.cn/a/post_1.html")


def test_key_pattern_takes_the_stable_id():
    url = "https://www.nmpa.gov.cn/xxgk/ggtg/zhggtg/20260922184421167.html"
    assert stable_key(url, r"/(\d{17})\.html$") == "20260922184421167"
    assert stable_key(url, None) == "www.nmpa.gov.cn/xxgk/ggtg/zhggtg/20260922184421167.html"


def test_file_links_are_recognised():
    assert is_file_link("https://www.most.gov.cn/tztg/202609/W020260901.pdf")
    assert not is_file_link("https://www.most.gov.cn/tztg/202609/t20260901_1.html")
