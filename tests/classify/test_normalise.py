import unicodedata

import pytest

from monitor.classify.normalise import nfkc, normalise, word_form


@pytest.mark.parametrize(
    ("word", "form"),
    [
        ("cells", "cell"),
        ("cellular", "cell"),
        ("therapies", "therapy"),
        ("viruses", "virus"),
        ("lentiviruses", "lentivirus"),
        ("products", "product"),
        ("genetically", "gene"),
        ("process", "process"),
        ("analysis", "analysis"),
        ("virus", "virus"),
        ("aavs", "aav"),
        ("its", "its"),
    ],
)
def test_word_forms(word, form):
    assert word_form(word) == form


def test_hyphens_slashes_and_case_become_spaces_and_lower_case():
    assert normalise("Cell-Based/Gene—Modified  Products") == "cell based gene modified product"


@pytest.mark.parametrize(
    "text",
    [
        "国家药监局关于发布《免疫细胞治疗产品临床试验技术指导原则（试行）》的通告（2021年第14号）",
        "ＣＡＲ－Ｔ细胞",
        "⽣物医学新技术",  # Kangxi radical 生, as PDF text extraction yields it
        "第①批　名单",
        "café e\u0301",
        "plain ascii title",
    ],
)
def test_fast_nfkc_is_nfkc(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)
