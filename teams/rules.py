"""Pure rules of teams and visits (SPEC §5.2, §5.3): plain values in, plain values out, `today` as an argument."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MONTH, QUARTER = "month", "quarter"
INTERNAL, ONSITE = "internal", "onsite"
CUSTOMER_MANAGER, SECOND_MANAGER = "customer_manager", "second_manager"

# A member of staff as the pickers show one, "姓名 (username)" (full-width brackets too); the username is what counts.
_NAMED_USERNAME = re.compile(r"^.*?[（(]\s*([^\s()（）]+)\s*[)）]\s*$", re.DOTALL)
# In a list, each person is either "Name (username)" or a bare username, separated by spaces, commas or semicolons.
_STAFF_ITEM = re.compile(r"(?:[^\s,，、;；()（）]+\s*)?[（(]\s*([^\s,，、;；()（）]+)\s*[)）]|([^\s,，、;；()（）]+)")


def staff_username(text: str) -> str:
    """The username in what was typed for one member of staff: "张伟 (zhangwei)" or "zhangwei" give "zhangwei"."""
    text = text.strip()
    named = _NAMED_USERNAME.match(text)
    return named.group(1) if named else text


def staff_usernames(text: str) -> list[str]:
    """The usernames in what was typed for several members of staff, in order, each once:
    "张伟 (zhangwei), lisi 王五（wangwu）" gives ["zhangwei", "lisi", "wangwu"]."""
    found = (named or bare for named, bare in _STAFF_ITEM.findall(text))
    return list(dict.fromkeys(found))


# One customer manager serves at most this many group customers (SPEC §5.2); above it they are overloaded.
MANAGER_CAPACITY = 50
# One personal-VIP manager (个人VIP客户经理) serves at most this many personal VIPs (SPEC §4.3); above it, overloaded.
VIP_MANAGER_CAPACITY = 400


@dataclass(frozen=True)
class Standard:
    """The values of a service standard that the rules read."""

    required_roles: Sequence[str]
    period: str
    visits_required: int
    visits_role: str = ""
    visits_role_required: int = 0


@dataclass(frozen=True)
class VisitFact:
    """What the rules need to know of one visit."""

    visited_on: datetime.date
    kind: str
    visitor_role: str
    present_roles: frozenset[str] = frozenset()
    verified: bool = False  # an on-site visit checked in within the radius (`check_in_verification`)


@dataclass(frozen=True)
class VisitStatus:
    period_start: datetime.date
    period_end: datetime.date  # exclusive
    done: int
    needed: int  # visits still needed this period, whoever makes them
    role_needed: int  # of which by the standard's role

    @property
    def met(self) -> bool:
        return self.needed == 0


def period_bounds(period: str, on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month or quarter containing `on`, as [start, end)."""
    first_month = on.month if period == MONTH else (on.month - 1) // 3 * 3 + 1
    start = on.replace(month=first_month, day=1)
    months = 1 if period == MONTH else 3
    year, month = divmod(start.month - 1 + months, 12)
    return start, start.replace(year=start.year + year, month=month + 1)


def team_missing(required_roles: Iterable[str], held_roles: Iterable[str]) -> list[str]:
    """The required roles nobody holds, in the standard's order."""
    held = set(held_roles)
    return [role for role in required_roles if role not in held]


def visit_counts(visit: VisitFact, verified_only: bool = False) -> bool:
    """Whether a visit counts towards the standard: a visit to the customer (an internal sync does not), and, in a
    province that counts only verified field visits (`verified_only`), an on-site visit checked in on site."""
    if verified_only:
        return visit.kind == ONSITE and visit.verified
    return visit.kind != INTERNAL


def verification_matters(visits: Iterable[VisitFact]) -> bool:
    """Whether counting only verified on-site visits would change what these visits count for: some visit counts,
    yet not as a verified one. When none does, a province's choice need not be asked."""
    return any(visit_counts(visit) != visit_counts(visit, True) for visit in visits)


def visit_status(
    standard: Standard, visits: Iterable[VisitFact], today: datetime.date, verified_only: bool = False
) -> VisitStatus:
    """How far this period's visits go towards the standard.

    Only visits that count (`visit_counts`) do, and only those of the current period up to today.
    Still needed is the larger of the visits missing overall and those missing of the named role: two visits by
    the customer manager leave an A-tier customer one visit short when its second manager has not come.
    """
    start, end = period_bounds(standard.period, today)
    done = by_role = 0
    for visit in visits:
        if not visit_counts(visit, verified_only) or not start <= visit.visited_on <= today:
            continue
        done += 1
        if standard.visits_role and visit.visitor_role == standard.visits_role:
            by_role += 1
    role_needed = max(standard.visits_role_required - by_role, 0)
    needed = max(standard.visits_required - done, role_needed)
    return VisitStatus(start, end, done, needed, role_needed)


def urgency(
    status: VisitStatus, today: datetime.date, tier_rank: int = 0, last_visited_on: datetime.date | None = None
) -> tuple[float, int, int, int, datetime.date]:
    """Sort key, most urgent first: the fewest days left per visit still needed, then the most visits needed, then
    the higher tier (`tier_rank`, A+ highest), then a visit the standard's role (the second manager) still owes,
    then the customer seen longest ago (never seen first)."""
    days_left = (status.period_end - today).days
    return (
        days_left / status.needed if status.needed else float("inf"),
        -status.needed,
        -tier_rank,
        -min(status.role_needed, 1),
        last_visited_on or datetime.date.min,
    )


@dataclass(frozen=True)
class SecondManagerDuties:
    """The second manager's monthly duties on one customer (SPEC §5.1, §5.3)."""

    visited: bool  # visited the customer themselves this month
    synced: bool  # held the monthly internal sync with the customer manager


def second_manager_duties(
    visits: Iterable[VisitFact], today: datetime.date, verified_only: bool = False
) -> SecondManagerDuties:
    """A sync is an `internal` visit logged by one of the pair with the other present; the visit is one that counts
    (`visit_counts`: in a province counting only verified field visits, an on-site visit checked in on site)."""
    start, _ = period_bounds(MONTH, today)
    visited = synced = False
    for visit in visits:
        if not start <= visit.visited_on <= today:
            continue
        if visit.kind == INTERNAL:
            pair = {visit.visitor_role} | visit.present_roles
            synced = synced or {CUSTOMER_MANAGER, SECOND_MANAGER} <= pair
        elif visit.visitor_role == SECOND_MANAGER and visit_counts(visit, verified_only):
            visited = True
    return SecondManagerDuties(visited, synced)


def assign_round_robin(customers: Sequence[int], loads: dict[int, int]) -> dict[int, int]:
    """Hand customers one at a time to whichever target manager then has the fewest; ties go to the first named.

    `loads` maps each target to the customers they already manage; returns customer → target.
    """
    loads = dict(loads)
    order = list(loads)
    plan = {}
    for customer in customers:
        target = min(order, key=lambda user: (loads[user], order.index(user)))
        plan[customer] = target
        loads[target] += 1
    return plan


# -- verified field visits (外勤签到) --------------------------------------------------------------------------------

# The mean radius of the Earth (IUGG), in metres: the haversine's error against the ellipsoid stays under 0.5 %,
# a few metres at the radius a visit is checked against.
EARTH_RADIUS_M = 6_371_008.8

# Why a visit is not verified, in the order they are looked at; "" when it is.
NOT_ONSITE = "not_onsite"
NO_POSITION = "no_position"
NO_ACCURACY = "no_accuracy"
INACCURATE = "inaccurate"
NO_CUSTOMER_LOCATION = "no_customer_location"
TOO_FAR = "too_far"


def distance_m(latitude: float, longitude: float, other_latitude: float, other_longitude: float) -> float:
    """The great-circle distance in metres between two positions in degrees (haversine)."""
    phi1, phi2 = math.radians(latitude), math.radians(other_latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(other_longitude - longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Verification:
    distance_m: float | None  # to the customer's location, when both positions are known
    verified: bool
    reason: str  # one of the reasons above, "" when verified


def check_in_verification(
    *,
    kind: str,
    position: tuple[float, float] | None,
    accuracy_m: float | None,
    customer_location: tuple[float, float] | None,
    radius_m: float,
    accuracy_limit_m: float,
) -> Verification:
    """Whether a check-in verifies the visit: an on-site visit, whose position, reported with an accuracy no worse
    than `accuracy_limit_m`, lies within `radius_m` of the customer's location (both limits included).

    A position is kept whatever its accuracy; the distance is given whenever both positions are known, so that a
    department head sees how far off an unverified visit was.
    """
    distance = None
    if position is not None and customer_location is not None:
        distance = round(distance_m(*position, *customer_location), 1)
    if kind != ONSITE:
        reason = NOT_ONSITE
    elif position is None:
        reason = NO_POSITION
    elif accuracy_m is None:
        reason = NO_ACCURACY
    elif accuracy_m > accuracy_limit_m:
        reason = INACCURATE
    elif distance is None:
        reason = NO_CUSTOMER_LOCATION
    elif distance > radius_m:
        reason = TOO_FAR
    else:
        reason = ""
    return Verification(distance, not reason, reason)


def deal_quotas(count: int, loads: dict[int, int]) -> dict[int, int]:
    """How many of `count` personal VIPs each manager takes when they are dealt one at a time to whoever then has
    the fewest, ties to the first named (as `assign_round_robin` deals customers): the least loaded are filled up
    level by level. `loads` maps each manager, in the order named, to the VIPs they have; returns manager → taken.
    Counts only, so that dealing a province's hundred thousand VIPs is arithmetic, not a loop over them."""
    order = list(loads)
    quotas = dict.fromkeys(order, 0)
    if not order or count <= 0:
        return quotas
    position = {manager: i for i, manager in enumerate(order)}
    ranked = sorted(order, key=lambda manager: (loads[manager], position[manager]))
    remaining, level, lowest = count, loads[ranked[0]], 1
    while remaining:
        while lowest < len(ranked) and loads[ranked[lowest]] <= level:
            lowest += 1
        raised = ranked[:lowest]
        step = loads[ranked[lowest]] - level if lowest < len(ranked) else None
        if step is not None and step * lowest <= remaining:
            for manager in raised:
                quotas[manager] += step
            remaining -= step * lowest
            level += step
            continue
        whole, extra = divmod(remaining, lowest)
        for manager in raised:
            quotas[manager] += whole
        for manager in sorted(raised, key=position.__getitem__)[:extra]:
            quotas[manager] += 1
        remaining = 0
    return quotas
