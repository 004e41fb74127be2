"""File uploads: the GraphQL multipart request, read and checked before strawberry sees it.

The GraphQL multipart request spec sends `operations` (the request's JSON, each file's place
in `variables` a null), `map` (which file part fills which of those places) and the files.
strawberry trusts all three: a `map` naming a part that is no file put a string where a file
belongs, a path into nothing (`variables.x.5`) or a `map` that is no object failed with a
KeyError, IndexError or AttributeError (HTTP 500), and starlette's form parser allows a
thousand files. Here the form is parsed with tight limits — one file, the two fields, each
field at most the size of a JSON body — and `operations` and `map` are checked to be what
the spec says; anything else is a 400 with a GraphQL-shaped body, code BAD_REQUEST.

Who may send a file, and how large the body may be, the request guard checks before any of
this reads a byte (`api.security.request_guard`). A browser cannot send a multipart form to
another site with a bearer token: the `Authorization` header needs a CORS preflight, which
only allowed origins pass; that is why these requests, unlike JSON ones, need not be
preflighted for their content type.
"""

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from api.security.envelope import MalformedRequest, check_operation, decode

MULTIPART = "multipart/form-data"
# The schema takes one file per operation (`importUpload`), and batching is off.
MAX_FILES = 1
FIELDS = ("operations", "map")


def is_multipart(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == MULTIPART


async def read_form(request: Request, *, max_field_bytes: int) -> FormData:
    """The request's form, parsed once (strawberry reads it again from the request's cache),
    and checked; MalformedRequest says what is wrong with it."""
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=len(FIELDS), max_part_size=max_field_bytes
        )
    except MultiPartException as error:
        raise MalformedRequest(f"the multipart body cannot be read: {error.message}") from error
    except HTTPException as error:  # starlette's form parser, inside an application
        raise MalformedRequest(f"the multipart body cannot be read: {error.detail}") from error
    check(form)
    return form


def check(form: FormData) -> None:
    """`operations` and `map` as the spec has them, every file mapped onto a null."""
    operations = decode(_field(form, "operations"))
    if isinstance(operations, list):
        raise MalformedRequest("a multipart request holds one operation, not a batch")
    check_operation(operations, "`operations`")
    files_map = decode(_field(form, "map"))
    if not isinstance(files_map, dict):
        raise MalformedRequest("`map` must be a JSON object: file field -> [paths in operations]")
    files = {name for name, value in form.multi_items() if isinstance(value, UploadFile)}
    for name, paths in files_map.items():
        if name not in files:
            raise MalformedRequest(f"`map` names {name!r}, which is no file of this request")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise MalformedRequest(f"`map` must give {name!r} a list of paths in operations")
        for path in paths:
            _check_place(operations, path)
    unmapped = sorted(files - set(files_map))
    if unmapped:
        raise MalformedRequest(f"the file {unmapped[0]!r} is not in `map`")


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        raise MalformedRequest(
            f"a multipart request needs a `{name}` field (the GraphQL multipart request spec: "
            "`operations`, then `map`, then the files)"
        )
    return value


def _check_place(operations: dict[str, Any], path: str) -> None:
    """`path` (`variables.input.file`) leads to a null in `operations`, the file's place."""
    keys = path.split(".")
    if keys[0] != "variables" or len(keys) < 2:
        raise MalformedRequest(f"`map` path {path!r} must lead into `variables`")
    place: Any = operations
    for key in keys:
        if isinstance(place, dict) and key in place:
            place = place[key]
        elif isinstance(place, list) and key.isascii() and key.isdigit() and int(key) < len(place):
            place = place[int(key)]
        else:
            raise MalformedRequest(f"`map` path {path!r} leads to nothing in `operations`")
    if place is not None:
        raise MalformedRequest(f"`map` path {path!r} must lead to a null, the file's place")
