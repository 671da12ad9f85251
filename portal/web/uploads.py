"""Files from a multipart form (`<input type="file" name="attachments" multiple>`), handed to the service as
plain bytes so that the web form and the REST API go through the same checks."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile

from portal.services.attachments import Upload

FIELD = "attachments"


async def uploads_from_request(request: Request[Any, Any, Any], field: str = FIELD) -> list[Upload]:
    """Every file sent under `field`. A file input left empty sends a part with no filename: that is skipped.

    The form is parsed once per request (the CSRF check already read it), so this costs nothing extra.
    """
    form = await request.form()
    return await uploads_from_form(form.getall(field, []))


async def uploads_from_form(values: Any) -> list[Upload]:
    """The files among a form field's values: a handler's `data` dict holds one value, or a list when repeated."""
    uploads = []
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, UploadFile) and value.filename:
            uploads.append(Upload(filename=value.filename, data=await value.read()))
    return uploads
