"""What the OpenAPI schema says of every operation besides its own answers: the errors any of them may give.

drf-spectacular documents each operation's success; the refusals every operation can answer come from the same few
places (authentication, the permissions module, the visibility rule's 404, DRF's parsing and negotiation, the
lockout) and are added here, once, by a postprocessing hook, so that the schema lists every status the API answers.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TokenScheme(KnoxTokenScheme):
    """The API's tokens (`crm.security.TokenAuthentication`, django-rest-knox's) under knox's own scheme, as
    drf-spectacular describes knox: `Authorization: Token …`. Registered by being imported (`CrmConfig.ready`)."""

    target_class = "crm.security.TokenAuthentication"


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "What went wrong, in the caller's language.",
}
# A refused write names each field with its messages ({"field": ["…"]}), or says why in `detail`.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": True,
    "description": "Each field in error with its messages (`non_field_errors` for the request as a whole), or "
    "`detail`.",
}

# status: (description, schema component)
COMMON_ERRORS: dict[str, tuple[str, str]] = {
    "400": ("The request is malformed or breaks a rule; nothing was written.", "FieldErrors"),
    "401": ("No valid credentials (a token or a session).", "Error"),
    "403": ("Signed in, but not allowed to do this.", "Error"),
    "404": (
        "No such resource within what the caller may see (`detail`, or the parameter that names nothing).",
        "FieldErrors",
    ),
    "405": ("The method is not allowed here.", "Error"),
    "406": ("None of the accepted media types can be given.", "Error"),
    "415": ("The request body's media type is not accepted.", "Error"),
    "429": ("Too many failed sign-ins: locked until the time given.", "Error"),
}


def add_common_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the common error answers it may give."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, (description, component) in COMMON_ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                    },
                )
    return result
