"""HTTP/1.1 over asyncio streams (stdlib only) and latency statistics, shared by the
load generators bench/exam_hour.py, bench/checkin_hall.py and bench/mixed_load.py.

Pool: keep-alive connections shared by all the virtual users, as a reverse proxy's
upstream pool would be: a request takes the connection idle the longest (FIFO, so they
all stay warm), a new one is opened only when every connection is busy (at most `size`;
0: a new connection per request). A connection idle longer than `max_idle` is closed
instead of reused.

Client: parses the URL, owns a Pool, and sends a request's bytes (built by a subclass)
with `send`: if a reused connection turns out to have been closed by the server before
it answered a single byte, the request is sent once more on a new connection (counted
as stale_retries); the whole exchange is bounded by `request_timeout`."""
import asyncio
import math
import statistics
import sys
import time
from collections import deque
from urllib.parse import urlsplit

# What a request can fail with, besides asyncio.TimeoutError.
NET_ERRORS = (OSError, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


class Stale(Exception):
    """A reused keep-alive connection was closed before any byte of the response."""


class Conn:
    __slots__ = ("reader", "writer", "last_used", "uses")

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.last_used = time.monotonic()
        self.uses = 0

    def close(self):
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001 - closing a dead socket
            pass


class Pool:
    def __init__(self, host: str, port: int, size: int, max_idle: float):
        self.host, self.port, self.size, self.max_idle = host, port, size, max_idle
        self.idle: deque[Conn] = deque()
        self.open = 0
        self.waiters: deque[asyncio.Future] = deque()
        self.opened = 0
        self.closed_idle = 0
        self.peak_open = 0

    async def _connect(self) -> Conn:
        self.open += 1
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        except BaseException:
            self.open -= 1
            self._wake()
            raise
        self.opened += 1
        self.peak_open = max(self.peak_open, self.open)
        return Conn(reader, writer)

    async def acquire(self) -> Conn:
        while True:
            now = time.monotonic()
            while self.idle:
                conn = self.idle.popleft()  # idle the longest: keeps every connection warm
                if now - conn.last_used <= self.max_idle and not conn.reader.at_eof():
                    return conn
                self.discard(conn)
                self.closed_idle += 1
            if self.size <= 0 or self.open < self.size:
                return await self._connect()
            fut = asyncio.get_running_loop().create_future()
            self.waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self.waiters:
                    self.waiters.remove(fut)
                raise

    def _wake(self):
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def release(self, conn: Conn):
        if self.size <= 0:
            self.discard(conn)
            return
        conn.last_used = time.monotonic()
        self.idle.append(conn)
        self._wake()

    def discard(self, conn: Conn):
        conn.close()
        self.open -= 1
        self._wake()

    def close_all(self):
        while self.idle:
            self.discard(self.idle.popleft())


async def read_response(reader) -> tuple[int, dict, list[str], bytes]:
    """(status, headers (lower-case names), Set-Cookie values, body)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            raise Stale() from None
        raise ConnectionError(f"connection closed inside the response head ({len(e.partial)} bytes)") from None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ConnectionError(f"bad status line {lines[0][:80]!r}")
    status = int(parts[1])
    headers, cookies = {}, []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            headers[name] = value
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, cookies, body


class Client:
    """The URL and the pool; a subclass builds the request's bytes and calls `send`."""

    def __init__(self, url: str, pool_size: int, max_idle: float, request_timeout: float):
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise SystemExit("only http:// URLs")
        self.host, self.port = parts.hostname, parts.port or 80
        self.host_header = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.pool = Pool(self.host, self.port, pool_size, max_idle)
        self.request_timeout = request_timeout
        self.stale_retries = 0

    async def _once(self, data: bytes) -> tuple[int, dict, list[str], bytes]:
        conn = await self.pool.acquire()
        reused = conn.uses > 0
        try:
            conn.writer.write(data)
            await conn.writer.drain()
            status, headers, cookies, body = await read_response(conn.reader)
        except Stale:
            self.pool.discard(conn)
            if reused:
                raise
            raise ConnectionError("connection closed before the response") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            self.pool.discard(conn)
            if reused and isinstance(e, (ConnectionResetError, BrokenPipeError)):
                raise Stale() from None
            raise
        except BaseException:  # cancelled or timed out mid-request: the connection is unusable
            self.pool.discard(conn)
            raise
        conn.uses += 1
        if headers.get("connection", "").lower() == "close":
            self.pool.discard(conn)
        else:
            self.pool.release(conn)
        return status, headers, cookies, body

    async def send(self, data: bytes) -> tuple[int, dict, list[str], bytes]:
        """(status, headers, Set-Cookie values, body) of the request `data`."""

        async def go():
            try:
                return await self._once(data)
            except Stale:
                # Nothing of the answer came back on a connection the server had closed
                # while idle: gunicorn never read the request, so sending it again is safe.
                self.stale_retries += 1
                try:
                    return await self._once(data)
                except Stale:
                    raise ConnectionError("connection closed before the response (twice)") from None

        return await asyncio.wait_for(go(), self.request_timeout)


async def wait_all(tasks, timeout: float, ticker: asyncio.Task, who: str) -> bool:
    """Wait up to `timeout` s for the virtual users' `tasks`; then stop `ticker` (the
    progress lines), cancel the users still running and name on stderr each that raised
    ("a WHO crashed: ..."). Whether all of them finished in time."""
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    ticker.cancel()
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for t in done:
        if t.exception() is not None:
            print(f"a {who} crashed: {t.exception()!r}", file=sys.stderr)
    return not pending


# -- numbers -------------------------------------------------------------------------


def pct(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    k = max(0, math.ceil(p / 100 * len(sorted_values)) - 1)
    return sorted_values[k]


def latency_summary(latencies: list[float]) -> dict:
    """count, mean and p50/p90/p99/max in ms of latencies given in seconds."""
    v = sorted(x * 1000 for x in latencies)
    if not v:
        return {"count": 0}
    return {"count": len(v), "mean_ms": round(statistics.fmean(v), 2), "p50_ms": round(pct(v, 50), 2),
            "p90_ms": round(pct(v, 90), 2), "p99_ms": round(pct(v, 99), 2), "max_ms": round(v[-1], 2)}


def fmt_ms(v):
    return "-" if v is None else f"{v:.1f}"


# -- a general API client (bench/mixed_load.py) ----------------------------------------


class ApiClient(Client):
    """Requests of the mini-program: a bearer token, and a JSON or multipart body."""

    agent = "pufa-bench"

    def _bytes(self, method: str, path: str, token: str | None, body: bytes | None, content_type: str | None) -> bytes:
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}", f"User-Agent: {self.agent}",
                "Accept: application/json"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if content_type:
            head.append(f"Content-Type: {content_type}")
        head.append(f"Content-Length: {len(body or b'')}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")

    async def request(self, method: str, path: str, token: str | None = None, json_body=None,
                      body: bytes | None = None, content_type: str | None = None) -> tuple[int, dict, bytes]:
        """(status, headers, body); `json_body` is sent as JSON, else `body` as `content_type`."""
        if json_body is not None:
            import json

            body, content_type = json.dumps(json_body, ensure_ascii=False).encode(), "application/json"
        status, headers, _, answer = await self.send(self._bytes(method, path, token, body, content_type))
        return status, headers, answer


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type: text `fields`, and `files` as
    name -> (filename, content type, bytes)."""
    import os

    boundary = "pufa-bench-" + os.urandom(12).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + value.encode() + b"\r\n")
    for name, (filename, ctype, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
