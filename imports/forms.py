from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import ImportKind, ImportMode

ACCEPTED_SUFFIXES = (".csv", ".xlsx")


class ImportUploadForm(forms.Form):
    """A BOSS extract to check and preview (SPEC §8.4). What the kind and mode allow is the service's to say
    (`import_run_create`); the form only asks for a file the reader can open."""

    kind = forms.ChoiceField(
        label=pgettext_lazy("import", "kind"), choices=ImportKind.choices, initial=ImportKind.CUSTOMERS
    )
    mode = forms.ChoiceField(
        label=_("mode"),
        choices=ImportMode.choices,
        initial=ImportMode.UPSERT,
        help_text=_(
            "Replace is only meaningful for key persons, group members and product holdings: for every customer the "
            "file names, the file becomes the whole list, so key persons and holdings it does not list are removed "
            "and members it does not list are marked as left. The preview counts them before anything happens."
        ),
    )
    file = forms.FileField(
        label=_("file"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or GB18030) or Excel .xlsx (its first sheet)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ACCEPTED_SUFFIXES:
            raise forms.ValidationError(
                _("Upload a .csv or .xlsx file; an old Excel .xls must first be saved as .xlsx or as CSV.")
            )
        return upload
