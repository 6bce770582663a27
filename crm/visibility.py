"""The one visibility rule of SPEC §2 (数据权限). Every page, endpoint, export and report starts from here.

- `hq_admin` (and superusers) see everything;
- `provincial_staff` see the subtree of their home region's province;
- `department_head` see their department's region subtree;
- `account_manager` see the customers on whose team they currently hold any role.

A customer outside this set does not exist for the caller: callers look objects up *in* these querysets, so an
outsider gets 404, never 403.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Customer
from teams.models import TeamRole

from .models import Region, RegionLevel, Role, User


def territory_root(user: User) -> Region | None:
    """The top of the territory a member of staff works in, or None when they have none.

    This is the region whose subtree they may see (provincial staff, department heads) or create customers in
    (every role); hq_admin's is the national root.
    """
    if not user.is_authenticated:
        return None
    if user.sees_everything:
        return Region.objects.filter(level=RegionLevel.NATIONAL).first()
    if user.role == Role.DEPARTMENT_HEAD:
        return user.department.region if user.department_id else None
    region = user.region
    if region is None:
        return None
    if user.role == Role.PROVINCIAL_STAFF and region.depth > 1:
        return Region.objects.get(code=region.ancestor_codes()[1])
    return region


def visible_regions(user: User) -> QuerySet[Region]:
    """The regions a user may see and file customers under."""
    if user.is_authenticated and user.sees_everything:
        return Region.objects.all()
    root = territory_root(user)
    if root is None:
        return Region.objects.none()
    return Region.objects.subtree(root)


def visible_customers(user: User) -> QuerySet[Customer]:
    """Every customer the user may see; the starting point of every customer query."""
    customers = Customer.objects.all()
    if not user.is_authenticated:
        return customers.none()
    if user.sees_everything:
        return customers
    if user.role == Role.ACCOUNT_MANAGER:
        return customers.filter(pk__in=TeamRole.objects.active().filter(user=user).values("customer_id"))
    root = territory_root(user)
    if root is None:
        return customers.none()
    return customers.filter(region__path__startswith=root.path)
