"""Headers on every response, and requests refused before any view sees them.

No Server header is set here: gunicorn (production) sends "Server: gunicorn" without a version
and would send ours beside it; only the development server names its version.
"""

from flask import abort, request

# Scripts only from our own static files (eldercare/static/app.js): no inline handlers, no eval.
# Styles may be inline: the charts are SVG with their own <style>.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def register(app) -> None:
    @app.before_request
    def refuse_nul_characters():
        """A NUL byte is never meant (PostgreSQL cannot even store one): a clear 400, nothing saved."""
        for values in (request.args, request.form):
            if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
                abort(400)

    @app.after_request
    def security_headers(response):
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")  # personal data stays out of caches
        for name, value in HEADERS.items():
            response.headers[name] = value
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
