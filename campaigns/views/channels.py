"""The channel conflicts of a territory (渠道冲突, issue 20): who works the same customers and products at the same
time, and which sales were withdrawn near another channel's, for a department head's department or a province."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.views import View

from accounts.models import Customer
from crm.models import RegionLevel
from crm.visibility import territory_region, visible_regions

from ..selectors.channels import channel_conflicts, policy_of, withdrawals

# The conflicts a page lists at most (the counts above them are of all those read).
CONFLICTS_SHOWN = 200
CONFLICTS_READ = 10_000


class ChannelConflictsView(LoginRequiredMixin, View):
    """The conflicts among the customers the user sees, narrowed to a province, city or county they may pick: counted
    by pair of channels and by department or partner, then listed, newest overlap first; the withdrawn sales under
    them. Each side sees the same rows (both are flagged)."""

    template_name = "campaigns/channel_conflicts.html"

    def get(self, request):
        regions = visible_regions(request.user).filter(
            level__in=[RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY]
        )
        customers = Customer.objects.visible_to(request.user)
        region = None
        if request.GET.get("region"):
            region = regions.filter(code=request.GET["region"]).first()
            if region is None:
                raise Http404
            customers = customers.filter(region__path__startswith=region.path)
        scope = region or territory_region(request.user)
        conflicts = channel_conflicts(customers, limit=CONFLICTS_READ)
        pairs: Counter = Counter()
        parties: Counter = Counter()
        for conflict in conflicts:
            names = sorted({conflict.channel_name(conflict.first), conflict.channel_name(conflict.second)})
            pairs[" ↔ ".join(names)] += 1
            for work in (conflict.first, conflict.second):
                parties[conflict.party(work)] += 1
        rule, days = policy_of(scope)
        return render(
            request,
            self.template_name,
            {
                "regions": regions,
                "region": region,
                "conflicts": conflicts[:CONFLICTS_SHOWN],
                "conflicts_count": len(conflicts),
                "capped": len(conflicts) >= CONFLICTS_READ,
                "shown": CONFLICTS_SHOWN,
                "pairs": pairs.most_common(),
                "parties": parties.most_common(),
                "withdrawals": withdrawals(customers, region=scope),
                "attribution": rule,
                "withdrawal_days": days,
            },
        )
