"""Every value that reaches KQL is validated and escaped: round trips through a real KQL engine prove it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb_kql
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.kql import literals

CON = duckdb_kql.connect()
PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(PRINTABLE)
def test_string_literal_round_trips(value: str) -> None:
    (row,) = duckdb_kql.kql(CON, f"print x = {literals.string(value)}").fetchall()
    assert row[0] == value


@pytest.mark.parametrize(
    "attack",
    ['") | take 100000 //', '" or 1 == 1 or "', '\\" | project secret', '"; .drop table ContainerLogV2'],
)
def test_injection_attempts_stay_inside_the_literal(attack: str) -> None:
    (row,) = duckdb_kql.kql(CON, f"print x = {literals.string(attack)}").fetchall()
    assert row[0] == attack


def test_control_characters_are_refused() -> None:
    with pytest.raises(literals.KqlValueError):
        literals.string("a\nb")


@pytest.mark.parametrize(
    "bad",
    [
        "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/x",
        '/subscriptions/3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/x"',
        "managedClusters/x",
        "",
    ],
)
def test_resource_ids_are_validated(bad: str) -> None:
    with pytest.raises(literals.KqlValueError, match="not an Azure resource id"):
        literals.resource_id(bad)


def test_durations() -> None:
    assert literals.parse_duration("30m") == timedelta(minutes=30)
    assert literals.parse_duration("7d") == timedelta(days=7)
    for bad in ("0m", "31d", "1w", "-1h", "1h; drop", ""):
        with pytest.raises(literals.KqlValueError):
            literals.parse_duration(bad)


def test_datetimes_are_utc_literals() -> None:
    moment = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert literals.datetime_literal(moment) == "datetime(2026-11-20T13:00:00Z)"
    with pytest.raises(literals.KqlValueError):
        literals.datetime_literal(datetime(2026, 11, 20))  # naive: ambiguous
