from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's, but a document nested deeper than Python's parser goes (it raises RecursionError, not the ValueError
    DRF turns into a 400) is refused as malformed too, and so is one with a NUL character (`\\u0000`) in a string:
    no database stores one in text, and a view that looked a code up by it would fail (as the query's and the
    address's, `crm.middleware.MalformedInputMiddleware`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deep.")) from None
        if _holds_nul(data):
            raise ParseError(_("JSON parse error - a string contains a NUL character."))
        return data


def _holds_nul(data) -> bool:
    """Whether any string of a parsed JSON document, a key or a value, holds a NUL character."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
