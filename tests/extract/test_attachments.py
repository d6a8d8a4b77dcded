import shutil
import zipfile

import docx
import pytest

from monitor.extract.attachments import extract_text
from tests.pdfs import scanned_pdf, text_pdf


def test_pdf_text_is_read_in_a_child_process(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(text_pdf(["Guideline on CAR-T cell therapy products", "Comments due 2026-10-31"]))
    extracted = extract_text(path)
    assert extracted.kind == "pdf" and extracted.pages == 1 and not extracted.scanned
    assert "CAR-T cell therapy" in extracted.text


def test_a_scanned_pdf_is_reported_as_such(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    extracted = extract_text(path)
    assert extracted.scanned and extracted.text.strip() == "" and extracted.error is None


def test_docx_paragraphs_and_tables(tmp_path):
    document = docx.Document()
    document.add_paragraph("免疫细胞治疗产品临床试验技术指导原则（征求意见稿）")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "联系人"
    table.rows[0].cells[1].text = "腺相关病毒载体"
    path = tmp_path / "draft.docx"
    document.save(path)
    extracted = extract_text(path)
    assert extracted.kind == "docx"
    assert "免疫细胞治疗产品" in extracted.text and "腺相关病毒载体" in extracted.text


def test_ofd_is_read_as_the_zip_of_xml_it_is(tmp_path):
    path = tmp_path / "notice.ofd"
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
        "<ofd:Content><ofd:Layer><ofd:TextObject><ofd:TextCode>人类遗传资源</ofd:TextCode></ofd:TextObject>"
        "<ofd:TextObject><ofd:TextCode>管理办法</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        archive.writestr("Doc_0/Pages/Page_0/Content.xml", content)
    extracted = extract_text(path)
    assert extracted.kind == "ofd" and extracted.text == "人类遗传资源管理办法"


def test_the_kind_comes_from_the_bytes_not_the_name(tmp_path):
    path = tmp_path / "download.aspx"
    path.write_bytes(text_pdf(["stem cell"]))
    assert "stem cell" in extract_text(path).text


def test_a_broken_file_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    extracted = extract_text(path)
    assert extracted.text == "" and extracted.error


def test_a_reader_that_runs_too_long_is_stopped(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(text_pdf(["x"]))
    extracted = extract_text(path, timeout_s=0.01)
    assert extracted.error and "longer than" in extracted.error


@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword not installed (apt-get install antiword)")
def test_doc_without_a_reader_is_reported(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    extracted = extract_text(path)
    assert extracted.kind == "doc" and extracted.text == "" and extracted.error
