"""The arrears of a customer (issue 21): `GET /api/v1/customers/{code}/arrears/` and the outcome of a chase,
`POST /api/v1/customers/{code}/arrears/outcomes/`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import customer_get
from crm.permissions import require

from .. import selectors, services
from .serializers import CustomerArrearsSerializer, OutcomeInputSerializer, OutcomeSerializer


class CustomerArrearsView(APIView):
    """What the customer owes as its latest bill says and its collection case with the outcomes recorded: for the
    operator's staff who see the customer (others: 404; partner staff: 403)."""

    @extend_schema(responses=CustomerArrearsSerializer)
    def get(self, request, code: str):
        customer = customer_get(user=request.user, code=code)
        require(request.user, "arrears.view", customer)
        return Response(CustomerArrearsSerializer(selectors.customer_arrears(customer)).data)


class OutcomeCreateView(APIView):
    """POST the outcome of chasing the customer's open case: `kind` (`promised` with `promised_on`, `paid`,
    `partly_paid`, `disputed`, `escalated`), optional `amount` paid and `note`. 201 with the outcome; 400 naming the
    field when refused (a promise without its date, a customer without an open case), nothing written."""

    @extend_schema(request=OutcomeInputSerializer, responses={201: OutcomeSerializer})
    def post(self, request, code: str):
        customer = customer_get(user=request.user, code=code)
        require(request.user, "arrears.view", customer)
        case = selectors.cases_for(request.user).filter(customer=customer, closed_on__isnull=True).first()
        serializer = OutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if case is None:
            raise ValidationError({"case": _("This customer has no open collection case.")})
        data = serializer.validated_data
        outcome = services.arrears_outcome_record(
            user=request.user,
            case=case,
            kind=data["kind"],
            promised_on=data.get("promised_on"),
            amount=data.get("amount"),
            note=data.get("note", ""),
        )
        return Response(OutcomeSerializer(outcome).data, status=201)
