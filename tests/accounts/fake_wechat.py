"""A fake WeChat API server on loopback, speaking jscode2session, stable_token,
getwxacodeunlimit and subscribe/send over real HTTP."""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up waiting is no error
            super().handle_error(request, client_address)


class FakeWeChat:
    """Answers per code: codes map to a JSON reply, an HTTP status, or a delay."""

    def __init__(self, appid="wx-test-app", secret="wx-test-secret"):
        self.appid, self.secret = appid, secret
        self.replies: dict[str, tuple[int, str]] = {}
        self.requests: list[dict] = []
        self.revoked = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append({"path": url.path, **params})
                status, body = fake.reply_for(url.path, params)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def do_POST(self):  # stable_token and getwxacodeunlimit take JSON bodies
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.requests.append({"path": url.path, **params, "body": body})
                status, content_type, payload = fake.post_reply(url.path, params, body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply_for(self, path, params):
        if path != "/sns/jscode2session" or params.get("grant_type") != "authorization_code":
            return 404, json.dumps({"errcode": 40001, "errmsg": "bad request"})
        if params.get("appid") != self.appid or params.get("secret") != self.secret:
            return 200, json.dumps({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = params.get("js_code", "")
        if code in self.replies:
            return self.replies[code]
        return 200, json.dumps({"openid": f"o-{code}", "session_key": f"sk-{code}-secret"})

    # Server-side API: access tokens (issued in turn: at-1, at-2, ...) and mini-program codes.
    token_count = 0
    token_expires_in = 7200
    token_delay = 0.0  # seconds stable_token takes to answer
    wxacode_reply: dict | None = None  # an errcode reply instead of the image
    send_reply: dict | None = None  # subscribe/send's errcode reply instead of ok
    send_delay = 0.0  # seconds subscribe/send takes to answer (it has taken the message)

    def post_reply(self, path, params, body):
        if path == "/cgi-bin/stable_token":
            if body.get("appid") != self.appid or body.get("secret") != self.secret:
                return 200, "application/json", json.dumps({"errcode": 40125, "errmsg": "invalid appsecret"}).encode()
            time.sleep(self.token_delay)
            self.token_count += 1
            reply = {"access_token": f"at-{self.token_count}", "expires_in": self.token_expires_in}
            return 200, "application/json", json.dumps(reply).encode()
        if path == "/wxa/getwxacodeunlimit":
            token = params.get("access_token", "")
            if not token.startswith("at-") or token in self.revoked:
                return 200, "application/json", json.dumps({"errcode": 40001, "errmsg": "invalid credential"}).encode()
            if self.wxacode_reply:
                return 200, "application/json", json.dumps(self.wxacode_reply).encode()
            return 200, "image/png", self.wxacode_image(body)
        if path == "/cgi-bin/message/subscribe/send":
            token = params.get("access_token", "")
            if not token.startswith("at-") or token in self.revoked:
                return 200, "application/json", json.dumps({"errcode": 40001, "errmsg": "invalid credential"}).encode()
            time.sleep(self.send_delay)
            reply = self.send_reply or {"errcode": 0, "errmsg": "ok"}
            return 200, "application/json", json.dumps(reply).encode()
        return 404, "application/json", json.dumps({"errcode": 40001, "errmsg": "bad request"}).encode()

    @staticmethod
    def wxacode_image(body) -> bytes:
        """Stands in for the mini-program code: a PNG QR of the request's body."""
        import io

        import segno

        out = io.BytesIO()
        segno.make(json.dumps(body, sort_keys=True), error="m").save(out, kind="png", scale=10)
        return out.getvalue()

    def on(self, code: str, status: int = 200, body: dict | str | None = None):
        self.replies[code] = (status, body if isinstance(body, str) else json.dumps(body or {}))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
