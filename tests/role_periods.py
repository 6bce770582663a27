"""Team-role periods generated around a day, for the tests that hold SQL twins to their pure rules."""

from __future__ import annotations

import datetime
import random

Periods = list[tuple[datetime.date, datetime.date | None]]


def held(periods: Periods, day: datetime.date) -> bool:
    """A role is held from its first day up to, not including, its end: the reading of `teams.models.held_on`,
    restated here so that the SQL is checked against the rule and not against itself."""
    return any(starts <= day and (ends is None or day < ends) for starts, ends in periods)


def role_periods(rng: random.Random, today: datetime.date) -> Periods:
    """The periods of one role on one customer's team, on the edges of `today`. One holder at a time, never
    overlapping: PostgreSQL refuses overlapping customer-manager periods."""

    def day(offset: int) -> datetime.date:
        return today + datetime.timedelta(days=offset)

    return rng.choice(
        [
            [],
            [(day(-400), None)],
            [(day(0), None)],  # starts today
            [(day(1), None)],  # starts tomorrow
            [(day(-100), day(0))],  # ended today
            [(day(-100), day(1))],  # ends tomorrow
            [(day(-1), day(0))],  # held yesterday only
            [(day(0), day(1))],  # held today only
            [(day(0), day(0))],  # never held
            [(day(-400), day(-200))],
            [(day(-100), day(0)), (day(0), None)],  # handed over today
            [(day(-100), day(-10)), (day(10), None)],  # vacant between two holders
        ]
    )
