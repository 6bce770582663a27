"""A realistic demo province (四川省) for `seed_demo`: territory, departments, staff, customers and their people.

Figures are drawn so that the default national tier rules (SPEC §4.1) give roughly 5 % A, 25 % B and 70 % C:
about 2 % of customers are in industries the rules rate A outright, 2.5 % have 500 handsets or more, 22 % have
100–499, plus a few top-500 taxpayers and customers of major social influence.
A customer manager carries 40–70 customers (above 50 is overloaded, SPEC §5.2), so a million customers come with
about 20 000 staff. Each city's department has a profile of its own (`base.CityProfile`): its member coverage,
complete profiles, verified members and visits land near the targets of SPEC §7, some cities above and some below.
The history is dated (visits, team roles of which one in ten came within the year, statuses, members who left,
opportunities), so the KPIs of past months, computed as of their last day, differ from today's and the trend
lines move. The stored tiers are those the tiering code writes, so the first recompute changes nobody.
Everything is written in bulk (COPY on PostgreSQL) so that a million customers load in minutes; above `LARGE_DEMO`
customers the seed stays lean (see `seeder.LARGE_DEMO`).

Split by what is seeded: `territory` (regions, logins, departments and managers), `customers` (with their people
and status history), `teams` (team roles and visits), `campaigns` (holdings and a month's campaign), `opportunities`
(a few per department); `seeder` runs them in order.
"""

from .campaigns import seed_campaigns
from .opportunities import seed_opportunities
from .seeder import DemoSeeder, SeedReport
from .territory import DEMO_MANAGER, DEMO_MANAGER_CITY, DEMO_PASSWORD, DemoLogin, seed_demo_logins, seed_territory

__all__ = [
    "DEMO_MANAGER",
    "DEMO_MANAGER_CITY",
    "DEMO_PASSWORD",
    "DemoLogin",
    "DemoSeeder",
    "SeedReport",
    "seed_campaigns",
    "seed_demo_logins",
    "seed_opportunities",
    "seed_territory",
]
