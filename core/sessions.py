"""Cookie sessions are for the admin panel; the API authenticates with bearer tokens,
so its requests skip the session (and the cost of building a signer per request)."""
from flask.sessions import SecureCookieSessionInterface


class PanelOnlySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)
