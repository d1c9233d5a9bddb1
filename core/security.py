"""Security headers on every response (Flask-Talisman), with one content security
policy that the panel's and the docs page's own assets satisfy."""
import base64
import hashlib

from flask_talisman import Talisman

talisman = Talisman()
API_CSP = {"default-src": "'none'", "script-src": "'none'", "object-src": "'none'", "frame-ancestors": "'none'"}


def inline_handler_hashes(handlers) -> list[str]:
    """CSP sources for the few inline event handlers Flask-Admin's templates write
    (onclick="return modelActions.execute('retire');"): allowed by their exact text,
    not by allowing inline script."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(h.encode()).digest()).decode()}'" for h in sorted(handlers)]


def init_app(app, inline_handlers=()) -> None:
    script_src = ["'self'"]
    if inline_handlers:
        script_src += ["'unsafe-hashes'", *inline_handler_hashes(inline_handlers)]
    talisman.init_app(
        app,
        # TLS ends at the reverse proxy; redirecting here would loop behind one that
        # does not say so. HSTS is still sent on every HTTPS request.
        force_https=False,
        # This host only: other services of the township's domain may not speak HTTPS.
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        content_security_policy={
            "default-src": "'self'",
            "script-src": script_src,
            # Bootstrap, Select2 and Swagger UI set style attributes from script.
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        content_security_policy_nonce_in=["script-src"],
    )
    # JSON for the phone loads nothing: a policy of a few bytes on every API answer, not
    # the panel's long one, and no nonce made for it (Talisman's own per-view options).
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("api."):
            view.talisman_view_options = {"content_security_policy": API_CSP, "content_security_policy_nonce_in": []}
