"""GET /api/v1/docs: the OpenAPI document as a page, rendered here (nothing from a CDN).

Summaries are marked with N_ so the catalogs carry them: the document stays in English for
machines, the page reads in the visitor's language."""

from flask import render_template
from flask_smorest import current_api

from eldercare.api.blueprint import N_, bp

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict) -> list[dict]:
    result = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            media_type, body = next(iter((operation.get("requestBody") or {}).get("content", {}).items()),
                                    (None, {}))
            result.append({
                "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                "public": operation.get("security") == [],
                "parameters": [p for p in operation.get("parameters", []) + item.get("parameters", [])],
                "body": _resolve(spec, body.get("schema")), "media_type": media_type,
                "responses": sorted(code for code in operation.get("responses", {}) if code != "default"),
            })
    return result


def _resolve(spec: dict, schema: dict | None) -> dict | None:
    if schema and "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@bp.route("/docs", methods=["GET"])
@bp.doc(security=[], summary=N_("This API's documentation as a page"), responses={"200": {"description": "HTML",
                                                                                  "content": {"text/html": {}}}})
def docs():
    spec = current_api.spec.to_dict()
    return render_template("api/docs.html", spec=spec, operations=_operations(spec))
