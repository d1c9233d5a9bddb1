"""A JSON body read and validated by its marshmallow schema directly, for the answer
hot path: APIFlask's `input` goes through webargs, whose per-request work costs as much
as the validation itself. Errors and the OpenAPI document are the same as `input`'s."""
import json
from functools import wraps

from apiflask import HTTPError
from flask import current_app, request
from marshmallow import ValidationError

from api import bp


def json_body(schema_class, arg_name: str = "body"):
    def decorate(view):
        bp.input(schema_class, arg_name=arg_name)(view)  # for its OpenAPI annotation of `view` only
        schema = schema_class()

        @wraps(view)
        def parsed(*args, **kwargs):
            data = {}
            if request.is_json:  # as webargs: another content type is an empty body
                try:
                    data = json.loads(request.get_data(cache=True))
                except ValueError as exc:  # bad JSON or bad UTF-8 (too deep: core.errors); core.errors words the 400
                    raise HTTPError(400) from exc
            try:
                kwargs[arg_name] = schema.load(data)
            except ValidationError as exc:
                # The shape webargs gives, {location: messages}, which core.errors flattens.
                raise HTTPError(current_app.config["VALIDATION_ERROR_STATUS_CODE"], detail={"json": exc.messages}) from exc
            return view(*args, **kwargs)

        return parsed

    return decorate
