"""The operability settings: DEBTPULSE_LOG_FORMAT, DEBTPULSE_METRICS_TOKEN and
DEBTPULSE_METRICS_PORT, each refused with one line naming it."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_and_given_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBTPULSE_METRICS_PORT")  # the tests' own default is 0
    settings = load_settings()
    assert (settings.log_format, settings.metrics_port, settings.metrics_token) == (
        "text",
        9464,
        None,
    )
    given = load_settings(
        DEBTPULSE_LOG_FORMAT=" JSON ", DEBTPULSE_METRICS_PORT="0", DEBTPULSE_METRICS_TOKEN="t0k"
    )
    assert (given.log_format, given.metrics_port) == ("json", 0)
    assert given.metrics_token is not None and "t0k" not in repr(given)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBTPULSE_LOG_FORMAT", "xml", "DEBTPULSE_LOG_FORMAT: text or json expected (got 'xml')"),
        ("DEBTPULSE_METRICS_PORT", "nine", "DEBTPULSE_METRICS_PORT: an integer expected"),
        ("DEBTPULSE_METRICS_PORT", "70000", "DEBTPULSE_METRICS_PORT: a number ≤ 65535 expected"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(**{variable: value})
    assert message in str(error.value)
