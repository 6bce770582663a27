"""Model serializers build their fields once per class and hand each instance its own copy (issue 17)."""

from __future__ import annotations

from rest_framework import serializers

from crm.api.serializers import StrictModelSerializer
from crm.models import Region


def test_fields_are_built_once_per_class(monkeypatch):
    built = []
    original = serializers.ModelSerializer.get_fields

    def counting(self):
        built.append(type(self))
        return original(self)

    monkeypatch.setattr(serializers.ModelSerializer, "get_fields", counting)

    class One(StrictModelSerializer):
        class Meta:
            model = Region
            fields = ["code", "name"]

    class Other(One):
        class Meta:
            model = Region
            fields = ["code", "name", "level"]

    for _ in range(3):
        assert list(One().fields) == ["code", "name"]
        assert list(Other().fields) == ["code", "name", "level"]
    # A subclass keeps its own fields, not its parent's.
    assert built == [One, Other]


def test_each_instance_gets_its_own_fields():
    class Regions(StrictModelSerializer):
        class Meta:
            model = Region
            fields = ["code", "name"]

        def get_fields(self):
            fields = super().get_fields()
            if self.instance is not None:
                fields["code"].read_only = True
            return fields

    updating = Regions(instance=Region(code="510104", name="锦江区"))
    assert updating.fields["code"].read_only
    creating = Regions()
    assert not creating.fields["code"].read_only
    assert creating.fields["name"] is not updating.fields["name"]


def test_a_many_relations_child_is_the_instances_own_and_reaches_its_context(rf):
    """The child of a many-relation is copied with it and bound to the copy: it reads the instance's context (the
    request a visible-customers queryset needs), and a queryset a subclass gives it stays the instance's."""
    from teams.api.serializers import VisitSerializer

    request = rf.post("/api/v1/visits/")
    first = VisitSerializer(context={"request": request})
    second = VisitSerializer(context={})
    plans = first.fields["key_persons"]
    assert plans.child_relation.parent is plans
    assert plans.child_relation.context["request"] is request
    assert "request" not in second.fields["key_persons"].child_relation.context
    first.fields["key_persons"].child_relation.queryset = None
    assert second.fields["key_persons"].child_relation.queryset is not None
    assert VisitSerializer().fields["key_persons"].child_relation.queryset is not None


def test_a_field_bound_to_one_instance_is_not_bound_to_another():
    class Regions(StrictModelSerializer):
        class Meta:
            model = Region
            fields = ["code", "name"]

    one, other = Regions(), Regions()
    assert one.fields["code"].parent is one
    assert other.fields["code"].parent is other
    assert one.fields["code"].error_messages == other.fields["code"].error_messages
