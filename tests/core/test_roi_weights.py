"""``roi:`` in weights.yaml: the loaded hourly cost that turns hours lost into money.

Optional; when given, both fields are required and every problem names its field and
line, as the other weights errors do. It is not a score setting: the score's settings and
their version do not change with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.score_settings import ScoreSettings
from bot.core.weights_file import LoadedWeights, RoiSettings, load_weights
from surveys import TemplateErrors


def _load(tmp_path: Path, text: str) -> LoadedWeights:
    (tmp_path / "weights.yaml").write_text(text, encoding="utf-8")
    return load_weights(tmp_path, min_group=5)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(TemplateErrors) as caught:
        _load(tmp_path, text)
    return [f"{e.line}: {e.field}: {e.message}" for e in caught.value.errors]


def test_without_roi_there_is_no_hourly_cost(tmp_path: Path) -> None:
    assert load_weights(None, min_group=5).roi == RoiSettings(None, None)
    loaded = _load(tmp_path, "shrinkage_k: 3\n")
    assert loaded.roi == RoiSettings(None, None)
    assert loaded.roi.money(10) is None


def test_roi_gives_the_hourly_cost_and_currency(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "shrinkage_k: 3\nroi: {hourly_cost: 95, currency: eur}\n")
    assert loaded.roi == RoiSettings(95.0, "EUR")
    assert loaded.roi.money(12.5) == 1187.5
    # not a score setting: the score's settings (and their version) are what they were
    settings, capacity = loaded[0], loaded[1]
    assert settings == ScoreSettings(shrinkage_k=3)
    assert settings.version == ScoreSettings(shrinkage_k=3).version
    assert capacity == loaded.capacity


@pytest.mark.parametrize(
    ("roi", "problems"),
    [
        (
            "roi: {hourly_cost: 0, currency: EUR}",
            ["2: roi.hourly_cost: Input should be greater than 0"],
        ),
        (
            "roi: {hourly_cost: -95, currency: EUR}",
            ["2: roi.hourly_cost: Input should be greater than 0"],
        ),
        (
            "roi: {hourly_cost: .inf, currency: EUR}",
            ["2: roi.hourly_cost: Input should be a finite number"],
        ),
        (
            "roi: {hourly_cost: 950000, currency: EUR}",
            ["2: roi.hourly_cost: Input should be less than or equal to 100000"],
        ),
        (
            "roi: {hourly_cost: lots, currency: EUR}",
            [
                "2: roi.hourly_cost: Input should be a valid number, "
                "unable to parse string as a number"
            ],
        ),
        (
            "roi: {hourly_cost: true, currency: EUR}",
            ["2: roi.hourly_cost: must be a number of money per hour, not true or false"],
        ),
        (
            "roi: {hourly_cost: 95, currency: euro}",
            ["2: roi.currency: must be a three-letter currency code such as EUR, not 'euro'"],
        ),
        (
            "roi: {hourly_cost: 95, currency: 978}",
            ["2: roi.currency: must be a three-letter currency code such as EUR, not 978"],
        ),
        ("roi: {hourly_cost: 95}", ["2: roi.currency: Field required"]),
        (
            "roi: {hourly_cost: 95, currency: EUR, per: day}",
            ["2: roi.per: Extra inputs are not permitted"],
        ),
        ("roi: 95", ["2: roi: Input should be a valid dictionary or instance of Roi"]),
    ],
)
def test_a_bad_roi_names_the_field(tmp_path: Path, roi: str, problems: list[str]) -> None:
    assert _problems(tmp_path, f"shrinkage_k: 3\n{roi}\n") == problems


def test_each_field_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = "roi:\n  hourly_cost: 0\n  currency: Euros\n"
    assert _problems(tmp_path, text) == [
        "2: roi.hourly_cost: Input should be greater than 0",
        "3: roi.currency: must be a three-letter currency code such as EUR, not 'Euros'",
    ]
