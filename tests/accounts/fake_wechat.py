"""A fake WeChat API server on loopback, speaking jscode2session over real HTTP."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeWeChat:
    """Answers per code: codes map to a JSON reply, an HTTP status, or a delay."""

    def __init__(self, appid="wx-test-app", secret="wx-test-secret"):
        self.appid, self.secret = appid, secret
        self.replies: dict[str, tuple[int, str]] = {}
        self.requests: list[dict] = []
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

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

    def on(self, code: str, status: int = 200, body: dict | str | None = None):
        self.replies[code] = (status, body if isinstance(body, str) else json.dumps(body or {}))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
