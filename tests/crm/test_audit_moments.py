"""The audit trail's `since` and `until` take any ISO 8601 moment Python reads: one whose UTC offset PostgreSQL
refuses (beyond ±15:59) is the same instant in UTC, not a server error; one out of range is a 400 naming it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("moment", ["1183-09-29T18:26:34.726+16:56", "2026-12-01T08:00:00-23:59"])
def test_a_moment_with_an_offset_beyond_postgresqls_is_taken_in_utc(api, cast, moment):
    response = api(cast["paul"]).get("/api/v1/audit/", {"until": moment, "since": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200, response.content


def test_a_moment_out_of_range_in_utc_is_refused_naming_the_field(api, cast):
    response = api(cast["paul"]).get("/api/v1/audit/", {"since": "0001-01-01T00:10:00+01:00"})
    assert response.status_code == 400 and "since" in response.json()
