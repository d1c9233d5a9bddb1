"""gunicorn's settings for Pufa on PostgreSQL (README, "Serving" and "Production"), read by
deploy/systemd/pufa.service and scripts/cluster: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.
Command-line options override these; WEB_CONCURRENCY sets the number of workers."""
import multiprocessing
import os

from core.observability import child_exit  # noqa: F401  (a dead worker leaves the /metrics sums)

bind = os.environ.get("PUFA_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("PUFA_THREADS", 4))
# A worker silent this long is killed and replaced; nginx's proxy_read_timeout (60 s) is longer.
timeout = 30
graceful_timeout = 30
# Longer than nginx's upstream keepalive_timeout (60 s): nginx closes idle connections first.
keepalive = 75
# Give back what a day's work leaves in a worker.
max_requests = 2000
max_requests_jitter = 200
