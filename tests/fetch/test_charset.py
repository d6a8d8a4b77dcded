import pytest

from monitor.fetch.charset import UndecodablePage, decode, normalise_label

TITLE = "国家药监局关于发布《免疫细胞治疗产品临床试验技术指导原则（试行）》的通告"


def gbk_page(meta: str) -> bytes:
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={meta}"></head>'
        f"<body><li>{TITLE}</li></body></html>".encode("gb18030")
    )


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "cp936", "GB18030"])
def test_gb_family_labels_widen_to_gb18030(label):
    assert normalise_label(label) == "gb18030"


def test_header_charset_wins():
    text, codec = decode(TITLE.encode("gb18030"), "text/html; charset=GBK")
    assert text == TITLE and codec == "gb18030"


def test_meta_charset_when_the_header_has_none():
    text, codec = decode(gbk_page("gb2312"), "text/html")
    assert TITLE in text and codec == "gb18030"


def test_a_gb2312_page_with_characters_outside_gb2312_still_decodes():
    # 𬌗 (U+2C317) exists only in GB18030; sites labelled gb2312 do serve such characters
    body = gbk_page("gb2312").replace("通告".encode("gb18030"), "通告𬌗".encode("gb18030"))
    text, _ = decode(body, None)
    assert "通告𬌗" in text


def test_a_lying_header_falls_back_to_the_meta_declaration():
    text, codec = decode(gbk_page("gbk"), "text/html; charset=utf-8")
    assert TITLE in text and codec == "gb18030"


def test_undeclared_gbk_is_detected():
    body = ("<html><body><ul>" + "".join(f"<li>{TITLE}{n}</li>" for n in range(5)) + "</ul></body></html>").encode(
        "gb18030"
    )
    text, _ = decode(body, "text/html")
    assert TITLE in text


def test_utf8_bom_is_dropped():
    assert decode("\ufeff细胞".encode("utf-8"), None)[0] == "细胞"


def broken_utf8_page() -> bytes:
    """UTF-8 text with every other character's last byte cut: what a broken transcoder serves."""
    rows = []
    for n in range(30):
        raw = f"{TITLE}{n}".encode()
        rows.append(b"<li>" + bytes(b for i, b in enumerate(raw) if i % 5 != 4) + b"</li>")
    return b'<html><head><meta charset="utf-8"></head><body><ul>' + b"".join(rows) + b"</ul></body></html>"


def test_a_page_that_breaks_its_declared_utf8_is_a_decoding_problem_not_garbage():
    with pytest.raises(UndecodablePage, match="not valid utf-8 as the page declares"):
        decode(broken_utf8_page(), "text/html; charset=utf-8")


def test_a_stray_bad_byte_keeps_the_declared_encoding():
    body = gbk_page("gbk").replace("通告".encode("gb18030"), b"\x80" + "通告".encode("gb18030"))
    text, codec = decode(body, None)
    assert codec == "gb18030" and TITLE.replace("通告", "") in text


def test_gbk_served_as_utf8_is_read_as_gbk():
    body = ("<html><body><ul>" + "".join(f"<li>{TITLE}{n}</li>" for n in range(20)) + "</ul></body></html>").encode(
        "gb18030"
    )
    text, codec = decode(body, "text/html; charset=utf-8")
    assert TITLE in text and codec == "gb18030"


def test_a_utf8_page_with_a_footer_in_another_encoding_keeps_its_declaration():
    body = ("<html><body><ul>" + "".join(f"<li>{TITLE}{n}</li>" for n in range(20)) + "</ul>").encode()
    body += "<footer>版权所有：国家药品监督管理局</footer></body></html>".encode("gb18030")
    text, codec = decode(body, "text/html; charset=utf-8")
    assert codec == "utf-8" and TITLE in text
