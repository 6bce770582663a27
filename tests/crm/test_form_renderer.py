"""The product's form renderer writes a select itself (`crm.forms.FormRenderer`): the same characters as Django's
templates for it, whatever the select holds."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from crm.forms import FormRenderer
from crm.models import Region

GROUPED = [
    ("", "—"),
    ("Fruit", [("apple", "Apple <red>"), ("pear", 'Pear "green"')]),
    ("Nuts & seeds", [("walnut", "Walnut"), (3, "三")]),
    ("plain", "A plain choice & more"),
]


class Everything(forms.Form):
    tier = forms.ChoiceField(choices=[("", "All"), ("A+", "A+"), ("A", "A"), ("B", "B")], required=False)
    grouped = forms.ChoiceField(choices=GROUPED)
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), ('x"<y>', "quoted")], required=False)
    flag = forms.NullBooleanField()
    attrs = forms.ChoiceField(
        choices=[("a", "a")],
        widget=forms.Select(attrs={"class": "form-select", "disabled": True, "hidden": False, "data-x": 'q"<&>'}),
    )
    year = forms.TypedChoiceField(choices=[(2026, 2026), (2025, 2025)], coerce=int)
    # a date as a group's name and an aware time as a label: local time, localized, as a template writes them
    dated = forms.ChoiceField(
        choices=[
            (datetime.date(2026, 1, 2), [("x", datetime.datetime(2026, 1, 1, 20, 0, tzinfo=datetime.UTC))]),
            ("y", "Y"),
        ],
        required=False,
    )
    safe = forms.ChoiceField(
        choices=[(mark_safe("a&amp;b"), mark_safe("<b>bold</b>"))],
        widget=forms.Select(attrs={"title": mark_safe("a&amp;b"), "data-plain": "a&b"}),
        required=False,
    )


class OwnOption(forms.Select):
    option_template_name = "django/forms/widgets/select_option.html"

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["template_name"] = "django/forms/widgets/input_option.html"  # another template: left to templates
        return option


def _rendered(form: forms.Form) -> dict[str, str]:
    return {name: str(form[name].as_widget()) for name in form.fields}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"tier": "A", "grouped": "pear", "many": ["2", 'x"<y>'], "flag": "true", "attrs": "a", "year": "2025"},
        {"tier": "<nope>", "grouped": "3", "many": ["1"], "flag": "false"},
    ],
)
def test_a_select_is_written_as_djangos_templates_write_it(data):
    form = Everything(data=data or None)
    form.renderer = FormRenderer()
    ours = _rendered(form)
    form.renderer = DjangoTemplates()
    theirs = _rendered(form)
    assert ours == theirs
    assert "<option" in ours["grouped"] and "<optgroup" in ours["grouped"]
    assert "&lt;red&gt;" in ours["grouped"]
    assert (
        'title="a&amp;b"' in ours["safe"] and 'data-plain="a&amp;b"' in ours["safe"] and "<b>bold</b>" in ours["safe"]
    )
    assert "2026-01-01 20:00" not in ours["dated"]  # shown in local time (Asia/Shanghai: 2 January, 04:00)


@pytest.mark.django_db
def test_a_model_select_is_written_as_djangos_templates_write_it():
    Region.objects.get_or_create(code="510000", defaults={"name": "四川省 <省>", "level": "province"})

    class Regions(forms.Form):
        region = forms.ModelChoiceField(queryset=Region.objects.order_by("code"), to_field_name="code")

    form = Regions(data={"region": "510000"})
    form.renderer = FormRenderer()
    ours = str(form["region"].as_widget())
    form.renderer = DjangoTemplates()
    assert ours == str(form["region"].as_widget())
    assert 'value="510000" selected' in ours


def test_options_of_a_template_of_their_own_are_left_to_the_templates():
    class Own(forms.Form):
        choice = forms.ChoiceField(choices=[("a", "A")], widget=OwnOption)

    form = Own()
    form.renderer = FormRenderer()
    assert 'type="' in str(form["choice"].as_widget())  # input_option.html writes an input, not an option


def test_it_is_the_products_renderer():
    assert isinstance(get_default_renderer(), FormRenderer)
