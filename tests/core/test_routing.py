"""Routing rules and inbox groups (``bot.core.routing``): which rule takes a webhook event,
and what the events no rule takes are grouped by."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.core.routing import (
    MAX_GROUP_KEY,
    Rule,
    escape_glob,
    first_match,
    group_handle,
    group_key,
    group_match,
    matches,
    saved_match,
    shared_attributes,
)
from bot.core.webhooks.events import HookEvent, Kind

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def event(source: str = "alertmanager", kind: Kind = "alert", **attributes: str) -> HookEvent:
    named = {name.replace("__", "."): value for name, value in attributes.items()}
    return HookEvent(
        source=source,
        kind=kind,
        action="open",
        dedup_key=f"{source}:1",
        observed_at=AT,
        title="something broke",
        attributes=named,
    )


def rule(to: str = "DEBT-1", **match: str) -> Rule:
    return Rule({name.replace("__", "."): value for name, value in match.items()}, to, "test")


INGEST = event(alertname="HighErrorRate", labels__service="ingest", labels__team="data")
NIGHTLY = event(
    "github", "ci_failure", repo="acme/ml-platform", workflow="nightly-train", branch="main"
)


def test_every_field_of_the_match_must_match() -> None:
    assert matches(rule(source="alertmanager", labels__service="ingest"), INGEST)
    assert not matches(rule(source="alertmanager", labels__service="serving"), INGEST)
    assert not matches(rule(source="github", labels__service="ingest"), INGEST)
    assert matches(rule(kind="alert", alertname="HighErrorRate"), INGEST)
    assert not matches(rule(kind="incident", alertname="HighErrorRate"), INGEST)


def test_values_are_case_sensitive_glob_patterns() -> None:
    assert matches(rule(source="github", repo="acme/*", workflow="nightly-*"), NIGHTLY)
    assert matches(rule(workflow="nightly-???in"), NIGHTLY)
    assert matches(rule(branch="[a-m]ain"), NIGHTLY)
    assert not matches(rule(workflow="Nightly-*"), NIGHTLY)
    assert not matches(rule(repo="acme"), NIGHTLY)  # a pattern matches the whole value


def test_an_attribute_the_event_lacks_or_an_empty_match_matches_nothing() -> None:
    assert not matches(rule(source="github", service="*"), NIGHTLY)
    assert not matches(rule(), NIGHTLY)


def test_the_first_matching_rule_wins() -> None:
    rules = [
        rule("DEBT-9", source="pagerduty"),
        rule("DEBT-7", source="github", workflow="nightly-*"),
        rule("DEBT-8", source="github"),
    ]
    found = first_match(rules, NIGHTLY)
    assert found is not None and found.to == "DEBT-7"
    assert first_match(rules, INGEST) is None
    assert first_match([], INGEST) is None


def test_a_group_is_its_source_kind_and_most_telling_attribute() -> None:
    assert group_key(INGEST) == "alertmanager/alert: alertname=HighErrorRate"
    # a workflow's name is only unique within its repository
    assert group_key(NIGHTLY) == (
        "github/ci_failure: workflow=nightly-train, repo=acme/ml-platform"
    )
    assert group_key(event("pagerduty", "incident", service="Feature store", project="x")) == (
        "pagerduty/incident: service=Feature store"
    )
    assert group_key(event("sonarqube", "code_quality", project="acme:api", repo="r")) == (
        "sonarqube/code_quality: project=acme:api"
    )
    assert group_key(event("github", "custom", repo="acme/api")) == "github/custom: repo=acme/api"
    assert group_key(event("sentry", "alert", environment="prod")) == "sentry/alert"


def test_a_long_group_key_is_cut_and_stays_unique() -> None:
    one = group_key(event(alertname="A" * 400 + "1"))
    two = group_key(event(alertname="A" * 400 + "2"))
    assert len(one) == len(two) == MAX_GROUP_KEY
    assert one != two and one.startswith("alertmanager/alert: alertname=AAA")


def test_a_handle_is_short_and_stable() -> None:
    handle = group_handle("alertmanager/alert: alertname=HighErrorRate")
    assert len(handle) == 8 and int(handle, 16) >= 0
    assert handle == group_handle("alertmanager/alert: alertname=HighErrorRate")
    assert handle != group_handle("alertmanager/alert: alertname=HighErrorRatf")


def test_a_rule_saved_from_a_group_takes_exactly_that_group() -> None:
    odd = event("github", "ci_failure", workflow="build [linux] *", repo="acme/a?b")
    saved = Rule(saved_match(group_match(odd.source, odd.kind, odd.attributes)), "DEBT-3", "s")
    assert saved.match == {
        "source": "github",
        "kind": "ci_failure",
        "workflow": "build [[]linux] [*]",
        "repo": "acme/a[?]b",
    }
    assert matches(saved, odd)
    assert not matches(saved, event("github", "ci_failure", workflow="build l *", repo="acme/axb"))
    assert not matches(saved, event("github", "alert", workflow="build [linux] *", repo="acme/a?b"))


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_an_escaped_value_matches_itself_and_nothing_else(value: str, other: str) -> None:
    pattern = {"service": escape_glob(value)}
    assert matches(Rule(pattern, "DEBT-1", "x"), event(service=value))
    assert matches(Rule(pattern, "DEBT-1", "x"), event(service=other)) == (other == value)


def _shared(*samples: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return shared_attributes(list(samples))


def test_what_a_group_shares_is_what_all_its_signals_say_alike() -> None:
    assert _shared(
        {"alertname": "HighErrorRate", "labels.service": "ingest", "instance": "a"},
        {"alertname": "HighErrorRate", "labels.service": "ingest", "instance": "b"},
        {"alertname": "HighErrorRate", "labels.service": "ingest"},
    ) == (("alertname", "HighErrorRate"), ("labels.service", "ingest"))
    assert _shared({"b": "2", "a": "1"}) == (("a", "1"), ("b", "2"))
    assert _shared() == ()
