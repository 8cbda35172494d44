#!/usr/bin/env python3
"""Checks answers of the HTTP API against docs/openapi.json.

    Tools/check-api-response.py DOCUMENT METHOD PATH STATUS BODY-FILE [...]

Each group of four after the document is one answer: the operation's
method and path template as the document writes them (`GET
/v1/events/{id}`), the status received, and a file holding the body. The
body must be JSON and valid against the schema the document gives for that
operation and status (JSON Schema 2020-12, as OpenAPI 3.1 uses it, with the
document's `$ref`s resolved). A group `SCHEMA NAME - BODY-FILE` checks
the body against the component schema NAME instead: the `data` of a
server-sent event of the subscription (StreamedEvent, Heartbeat). Prints one line an answer; exits 1 if any
answer does not conform, 2 on bad usage. Needs the `jsonschema` package
(Debian's python3-jsonschema, installed by Tools/setup).
"""
import json
import sys
import warnings

import jsonschema


def schema_for(document, method, path, status):
    if method == "SCHEMA":
        if path not in document["components"]["schemas"]:
            raise LookupError(f"the document has no component schema {path}")
        return {"$ref": "#/components/schemas/" + path}
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        raise LookupError(f"the document has no operation {method} {path}")
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise LookupError(f"{method} {path} documents no {status} answer")
    while "$ref" in response:
        name = response["$ref"].split("/")[-1]
        response = document["components"]["responses"][name]
    content = response.get("content", {})
    if "application/json" not in content:
        raise LookupError(f"{method} {path} {status} is not documented as application/json")
    return content["application/json"]["schema"]


def main(arguments):
    if len(arguments) < 5 or (len(arguments) - 1) % 4 != 0:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(arguments[0], encoding="utf-8") as file:
        document = json.load(file)
    with warnings.catch_warnings():
        # RefResolver is what Debian's jsonschema (4.10) offers; newer ones
        # still take it and warn.
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver.from_schema(document)
    failures = 0
    rest = arguments[1:]
    for index in range(0, len(rest), 4):
        method, path, status, body_file = rest[index:index + 4]
        label = f"{method} {path} {status} ({body_file})"
        try:
            schema = schema_for(document, method, path, status)
            with open(body_file, encoding="utf-8") as file:
                body = json.load(file)
            validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
            errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        except (LookupError, ValueError, OSError) as error:
            print(f"FAIL {label}: {error}")
            failures += 1
            continue
        if errors:
            failures += 1
            for error in errors[:5]:
                where = "/".join(str(part) for part in error.absolute_path) or "(the body)"
                print(f"FAIL {label}: at {where}: {error.message[:300]}")
        else:
            print(f"ok {label}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
