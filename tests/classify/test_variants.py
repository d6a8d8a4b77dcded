"""Traditional spellings kept with the taxonomy: up to date, and a start that needs no OpenCC."""

import subprocess
import sys

from monitor.classify.keywords import KeywordClassifier
from monitor.classify.variants import SPELLINGS, _kept, computed_spellings


def test_the_kept_spellings_are_those_opencc_gives_for_every_taxonomy_term():
    # after editing taxonomy.toml: python -m monitor.classify.variants
    assert _kept() == computed_spellings(), f"{SPELLINGS.name} is stale: run python -m monitor.classify.variants"


def test_the_bundled_classifier_starts_without_loading_opencc():
    code = (
        "import sys; from monitor.classify import default_classifier; c = default_classifier();"
        "print(c.classify('體外基因治療產品藥學研究').relevant, 'opencc' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]  # Traditional spellings matched, OpenCC never loaded


def test_a_taxonomy_of_ones_own_is_converted_with_opencc(tmp_path):
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text(
        'threshold = 1.0\n[topics.own]\ngloss = "own"\nterms = [{ term = "类器官芯片", weight = 2.0 }]\n',
        encoding="utf-8",
    )
    assert KeywordClassifier(taxonomy).classify("類器官芯片研究指導原則").relevant
