"""gunicorn settings for the eoffice web processes (see docs/deployment.md).

    gunicorn -c /opt/eoffice/deploy/gunicorn.conf.py --bind 127.0.0.1:8000

The command line and GUNICORN_CMD_ARGS override anything here; WEB_CONCURRENCY sets the number
of worker processes (default: one per core, plus one).
"""

import os
import shutil
import tempfile

# The app factory: each worker builds its own app and database pool after the fork, so no
# database connection is ever shared between processes.
wsgi_app = "eoffice.web:create_app()"
preload_app = False

workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1))
# Threads let a worker wait on PostgreSQL or a slow upload without blocking its other requests;
# the GIL makes more than a handful per process pointless for this CPU-bound app.
worker_class = "gthread"
threads = 4
timeout = 120  # a signing or a 50 MB upload may take a while on a busy machine
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so memory fragmentation (pyHanko, lxml) cannot grow forever.
max_requests = 5000
max_requests_jitter = 500

accesslog = "-"  # stdout: journald (or the container runtime) keeps it
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# X-Forwarded-Proto from the local reverse proxy only; eoffice's EOFFICE_PROXY_COUNT handles
# X-Forwarded-For for the audit trail.
forwarded_allow_ips = "127.0.0.1,::1"

# Request counters of every worker are summed by GET /metrics through prometheus_client's
# multiprocess files. The directory must exist before the workers start, and be empty.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="eoffice-metrics-")


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
