"""SQLite's writer process: the hot path's write transactions (answering) of every app
process on one database file, run by one process that does nothing else.

SQLite lets one writer in at a time, so an answer's write transaction is the one part
of the app that cannot run side by side. In a gunicorn worker it runs in a thread that
shares the GIL with the worker's other threads: each of its statements lets the GIL go
while SQLite works and gets it back only when another thread gives it up, so the write
lock stays held while the transaction waits for Python (measured under load: twice the
transaction's own time; bench/RESULTS.md). Here the transactions run one batch after
another (core.sql.GroupCommit's batches: everything that came in meanwhile, each piece
in a savepoint of its own) in a process with no other thread to wait for.

    flask sqlite-writer            # beside the app servers, on the same environment

App processes find it by its socket beside the database file (`<database>-writer.sock`)
and talk to it over one connection per thread: a request is the name of a registered
work (`core.sql.in_write_transaction`'s works, registered with `runs_in_writer`) and
its arguments, the reply its result or its exception, pickled (the socket is the app
user's alone, mode 0600). Without a writer, or if it cannot be reached, an app process
writes itself, batched in-process (GroupCommit): the writer makes writing faster, never
possible. It leaves when its parent process (the shell or supervisor that started it)
is gone, and removes its socket."""
import fcntl
import logging
import os
import pickle
import selectors
import socket
import struct
import threading
import time

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
WORKS: dict = {}  # "module:qualname" -> function(conn, *args)


def runs_in_writer(work):
    """Register `work` (a function of a driver connection and plain arguments) as one
    the writer may be asked to run."""
    WORKS[_name(work)] = work
    return work


def _name(work) -> str:
    return f"{work.__module__}:{work.__qualname__}"


def socket_path(database: str) -> str:
    return database + "-writer.sock"


def _send(sock: socket.socket, value) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def _receive(sock: socket.socket):
    (size,) = _HEADER.unpack(_read(sock, _HEADER.size))
    return pickle.loads(_read(sock, size))


def _read(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the SQLite writer closed the connection")
        data += chunk
    return bytes(data)


class WriterClient:
    """An app process's way to the writer of one database: `run` returns the work's
    result or raises its exception, or returns NOT_RUN if there is no writer to ask."""

    NOT_RUN = object()
    RETRY_SECONDS = 5.0  # after finding no writer (or a broken one), write in-process this long

    def __init__(self, path: str):
        self.path = path
        self.local = threading.local()
        self.down_until = 0.0

    def run(self, work, args):
        sock = getattr(self.local, "sock", None)
        if sock is None:
            sock = self._connect()
            if sock is None:
                return self.NOT_RUN
        try:
            _send(sock, (_name(work), args))
            ok, value = _receive(sock)
        except OSError as exc:
            # The writer went away with the work sent: whether it committed is unknown,
            # so this request fails (503, try again) rather than writing a second time.
            self._drop()
            raise OperationalError("SQLite writer", {}, exc) from exc
        if ok:
            return value
        raise value

    def _connect(self):
        if time.monotonic() < self.down_until:
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            self.down_until = time.monotonic() + self.RETRY_SECONDS
            if not isinstance(exc, FileNotFoundError):  # none started: nothing to warn about
                log.warning("SQLite writer at %s not reachable; writing in-process", self.path)
            return None
        self.local.sock = sock
        return sock

    def _drop(self) -> None:
        sock = getattr(self.local, "sock", None)
        self.local.sock = None
        if sock is not None:
            sock.close()


_clients: dict = {}


def client_for(database: str) -> WriterClient:
    try:
        return _clients[database]
    except KeyError:
        return _clients.setdefault(database, WriterClient(socket_path(database)))


def serve(engine, database: str, started=lambda path: None) -> bool:
    """Run the writer for `database` (a file path) on `engine` until its parent process
    is gone; `started(socket path)` is called once it listens. Returns False at once if
    another writer serves the database."""
    from core.sql import GroupCommit, Work

    path = socket_path(database)
    lock = open(path + ".lock", "w")  # noqa: SIM115 (held for the writer's life)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return False
    if os.path.exists(path):
        os.unlink(path)  # left by a writer that did not end cleanly (the lock says none runs)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    listener.listen(128)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    group = GroupCommit(engine)
    parent = os.getppid()
    started(path)
    try:
        while os.getppid() == parent:
            batch = []
            for key, _ in selector.select(timeout=1.0):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    selector.register(conn, selectors.EVENT_READ)
                    continue
                try:
                    name, args = _receive(key.fileobj)
                except (OSError, EOFError, pickle.UnpicklingError):
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    continue
                work = WORKS.get(name)
                if work is None:
                    _reply(key.fileobj, False, LookupError(f"{name} is not a work of the SQLite writer"))
                    continue
                batch.append((key.fileobj, Work(work, args)))
            if batch:
                try:
                    group.run_batch([job for _, job in batch])
                except Exception:  # noqa: BLE001  (each job holds the error; log the batch's)
                    log.exception("SQLite writer batch failed")
                for conn, job in batch:
                    _reply(conn, job.error is None, job.result if job.error is None else job.error)
    finally:
        selector.close()
        listener.close()
        os.unlink(path)
        lock.close()
    return True


def _reply(conn: socket.socket, ok: bool, value) -> None:
    try:
        try:
            _send(conn, (ok, value))
        except (pickle.PicklingError, TypeError, AttributeError):
            _send(conn, (False, RuntimeError(f"SQLite writer: {value!r}")))
    except OSError:
        pass  # that app process went away; its reader sees the connection closed
