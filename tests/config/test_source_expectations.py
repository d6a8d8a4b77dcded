"""`stale_after_days`: how long a source's list may go without a notice before it is suspect."""

import pytest

from monitor.config import ConfigError, load_sources
from tests.config.test_sources import VALID, write


def test_stale_after_days_defaults_to_half_a_year_and_zero_turns_it_off(tmp_path):
    (default,) = load_sources(write(tmp_path, VALID))
    assert default.stale_after_days == 180
    still = VALID.replace('kind = "html"', 'kind = "html"\nstale_after_days = 0')
    assert load_sources(write(tmp_path, still))[0].stale_after_days == 0


@pytest.mark.parametrize("value", ["-1", "5000", '"soon"'])
def test_a_bad_stale_after_days_names_its_line(tmp_path, value):
    path = write(tmp_path, VALID.replace('kind = "html"', f'kind = "html"\nstale_after_days = {value}'))
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert caught.value.line == 8 and "stale_after_days" in str(caught.value)
