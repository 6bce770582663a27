"""The territory side of the one visibility rule of SPEC §2 (数据权限): which regions, departments and subtrees a
member of staff works in. The customers a user sees are `Customer.objects.visible_to(user)` (accounts), built on
`territory_path` here:

- `hq_admin` (and superusers) see everything;
- `provincial_staff` see the subtree of their home region's province;
- `department_head` see their department's region subtree;
- `account_manager` see the customers on whose team they currently hold any role;
- `partner` staff see the customers given to their company (plans, assignments; issue 20), and have no territory.

A customer outside this set does not exist for the caller: callers look objects up *in* these querysets, so an
outsider gets 404, never 403.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Department, Partner, Region, User

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
    if user.is_partner_staff:
        return None  # customers given to their company, not a territory: they file none
    if user.heads_a_department:
        return user.department.region.path if user.department is not None else None
    if user.region is None:
        return None
    if user.is_provincial_staff:
        return province_path(user.region)
    return user.region.path


def territory_region(user: User) -> Region | None:
    """The region at the top of the user's territory (the national root for headquarters), or None."""
    path = territory_path(user)
    if path is None:
        return None
    return Region.objects.get(path=path or Region.build_path(NATIONAL_CODE, None))


def territory_of_lists(user: User) -> str | None:
    """The path of the territory whose customers are exactly a department head's or provincial staff's (for
    `crm.paginator`, which reads such a list region by region); None for anyone else (headquarters see
    everything, an account manager the customers of their teams)."""
    if not user.is_authenticated or user.sees_everything or user.sees_own_customers_only:
        return None
    return territory_path(user) or None


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

    Filtering only ever narrows `Customer.objects.visible_to`, so this reveals no customer. An account manager's
    customers can lie anywhere their team roles are, so they get their whole province to choose from.
    """
    if user.is_authenticated and user.sees_own_customers_only and user.region is not None:
        return Region.objects.filter(path__startswith=province_path(user.region))
    return filing_regions(user)


def _ancestor_paths(path: str) -> list[str]:
    """The paths of a region and of every region above it ("000000/510000/" → "000000/", "000000/510000/")."""
    codes = [code for code in path.split("/") if code]
    return ["".join(f"{code}/" for code in codes[: depth + 1]) for depth in range(len(codes))]


def visible_partners(user: User) -> QuerySet[Partner]:
    """The partner companies (issue 20) the user may see: headquarters all of them; partner staff their own company;
    everyone else those working where they do — a partner whose territory lies within theirs, or contains it (a
    province-wide partner works in every city of it). Anyone else: none; a partner outside this set is 404."""
    partners = Partner.objects.select_related("region")
    if not user.is_authenticated:
        return partners.none()
    if user.sees_everything:
        return partners
    if user.is_partner_staff:
        return partners.none() if user.partner_id is None else partners.filter(pk=user.partner_id)
    path = territory_path(user)
    if path is None:
        return partners.none()
    return partners.filter(Q(region__path__startswith=path) | Q(region__path__in=_ancestor_paths(path)))
