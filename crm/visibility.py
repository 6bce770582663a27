"""The one visibility rule of SPEC §2 (数据权限). Every page, endpoint, export and report starts from here.

- `hq_admin` (and superusers) see everything;
- `provincial_staff` see the subtree of their home region's province;
- `department_head` see their department's region subtree;
- `account_manager` see the customers on whose team they currently hold any role.

A customer outside this set does not exist for the caller: callers look objects up *in* these querysets, so an
outsider gets 404, never 403.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Customer
from teams.models import TeamRole

from .models import Department, Region, Role, User

NATIONAL_CODE = "000000"


def province_path(region: Region) -> str:
    """The path of the province a region lies in, read off its own path ("000000/510000/")."""
    return "/".join(region.path.split("/")[:2]) + "/" if region.depth >= 1 else region.path


def territory_path(user: User) -> str | None:
    """The path of the top of the territory a member of staff works in, or None when they have none.

    Provincial staff and department heads see the customers of this subtree; every role files new customers in
    it (an account manager: their home region); hq_admin's is the national root.
    """
    if not user.is_authenticated:
        return None
    if user.sees_everything:
        return ""
    if user.role == Role.DEPARTMENT_HEAD:
        return user.department.region.path if user.department_id else None
    if user.region_id is None:
        return None
    if user.role == Role.PROVINCIAL_STAFF:
        return province_path(user.region)
    return user.region.path


def territory_region(user: User) -> Region | None:
    """The region at the top of the user's territory (the national root for headquarters), or None."""
    path = territory_path(user)
    if path is None:
        return None
    return Region.objects.get(path=path or Region.build_path(NATIONAL_CODE, None))


def filing_regions(user: User) -> QuerySet[Region]:
    """The regions a user may file a customer under, or move one into."""
    path = territory_path(user)
    if path is None:
        return Region.objects.none()
    return Region.objects.filter(path__startswith=path) if path else Region.objects.all()


def territory_departments(user: User) -> QuerySet[Department]:
    """The departments of the user's territory: those whose region the user may file customers under, and the
    user's own (an account manager's home region is often a county below the department's city)."""
    return Department.objects.filter(Q(region__in=filing_regions(user)) | Q(pk=user.department_id))


def visible_regions(user: User) -> QuerySet[Region]:
    """The regions a user may pick to narrow their customer lists.

    Filtering only ever narrows `visible_customers`, so this reveals no customer. An account manager's customers
    can lie anywhere their team roles are, so they get their whole province to choose from.
    """
    if user.is_authenticated and user.role == Role.ACCOUNT_MANAGER and not user.sees_everything and user.region_id:
        return Region.objects.filter(path__startswith=province_path(user.region))
    return filing_regions(user)


def visible_customers(user: User) -> QuerySet[Customer]:
    """Every customer the user may see; the starting point of every customer query."""
    customers = Customer.objects.all()
    if not user.is_authenticated:
        return customers.none()
    if user.sees_everything:
        return customers
    if user.role == Role.ACCOUNT_MANAGER:
        return customers.filter(pk__in=TeamRole.objects.active().filter(user=user).values("customer_id"))
    path = territory_path(user)
    if path is None:
        return customers.none()
    return customers.filter(region__path__startswith=path)
