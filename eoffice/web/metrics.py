"""GET /metrics in the Prometheus text format, and the request counters behind it.

Two kinds of series:
- per request, counted in the process that answered: requests by method, route and status, and
  their durations. Under gunicorn each worker is a process, so the counters go to prometheus_client's
  multiprocess files when ``PROMETHEUS_MULTIPROC_DIR`` is set, and every scrape sums all workers;
- read from the database at scrape time, the same whichever process answers: database reachable,
  schema at head, worker heartbeats, VXP outbox and quarantine, e-mail queue.

The endpoint is off (404) until ``EOFFICE_METRICS_TOKEN`` is set; Prometheus then sends it as a
bearer token. Route labels are URL rules, never raw paths, so the series stay few.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eoffice import __version__, clock
from eoffice.exchange.models import InboxMessage, InboxState, OutboxMessage, OutboxState
from eoffice.migrate import head_revision
from eoffice.notifications.models import MailState, OutgoingMail
from eoffice.settings import prometheus_multiproc_dir
from eoffice.system.models import WorkerHeartbeat
from eoffice.system.services import get_health
from eoffice.web.session import db

# The classic text format that generate_latest writes and every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ALIVE_SECONDS = 90  # three missed 30-second heartbeats

REQUESTS = Counter("eoffice_http_requests", "HTTP requests answered", ["method", "route", "status"])
DURATION = Histogram(
    "eoffice_http_request_duration_seconds",
    "Time to answer an HTTP request, by route",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0),
)

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_count)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        method = request.method if request.method in METHODS else "OTHER"
        route = request.url_rule.rule if request.url_rule else "(none)"
        DURATION.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
    return response


@bp.get("/metrics")
def metrics():
    token = current_app.extensions["eoffice"]["settings"].metrics_token.get_secret_value()
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response("", 401, {"WWW-Authenticate": "Bearer"})
    body = generate_latest(_process_registry()) + generate_latest(_database_registry(db()))
    return Response(body, 200, {"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})


def _process_registry() -> CollectorRegistry:
    if not prometheus_multiproc_dir():
        return REGISTRY  # one process (eoffice run): its own counters and process metrics
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _database_registry(session: Session) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(database_families(session)))
    return registry


def _gauge(name: str, doc: str, value: float, **labels: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def database_families(session: Session) -> list[Metric]:
    """The gauges read from the database (cheap: each query walks an index or a small table)."""
    health = get_health(session, head_revision())
    families = [
        _gauge("eoffice_build_info", "eoffice version", 1, version=__version__),
        _gauge("eoffice_database_up", "1 when the database answers", int(health.database_ok)),
        _gauge(
            "eoffice_schema_at_head",
            "1 when the schema is at this version's newest migration",
            int(health.migrations_at_head),
        ),
    ]
    if not health.database_ok or not health.migrations_at_head:
        return families
    moment = clock.now()
    beats = list(session.execute(select(WorkerHeartbeat.beat_at)).scalars())
    newest = max(beats, default=None)
    families += [
        _gauge(
            "eoffice_worker_heartbeat_age_seconds",
            "Seconds since the newest `eoffice worker` heartbeat (NaN: no worker ever ran)",
            (moment - newest).total_seconds() if newest else float("nan"),
        ),
        _gauge(
            "eoffice_workers_alive",
            f"Workers whose heartbeat is younger than {ALIVE_SECONDS} s",
            sum((moment - beat).total_seconds() < ALIVE_SECONDS for beat in beats),
        ),
        _queue(session, "eoffice_vxp_outbox_messages", "VXP outbox messages", OutboxMessage),
        _queue(
            session, "eoffice_mail_outbox_messages", "E-mails waiting or given up", OutgoingMail
        ),
        _gauge(
            "eoffice_vxp_inbox_quarantined",
            "Received VXP messages kept aside as unusable",
            session.scalar(
                select(func.count()).where(InboxMessage.state == InboxState.QUARANTINED.value)
            )
            or 0,
        ),
    ]
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state == OutboxState.PENDING.value
        )
    )
    families.append(
        _gauge(
            "eoffice_vxp_outbox_oldest_pending_seconds",
            "Age of the oldest VXP message not yet delivered (0 when none)",
            (moment - oldest).total_seconds() if oldest else 0,
        )
    )
    return families


def _queue(session: Session, name: str, doc: str, model) -> GaugeMetricFamily:
    """Pending and dead rows of an outbox table (its index starts with the state)."""
    states = (OutboxState.PENDING.value, OutboxState.DEAD.value)
    assert {MailState.PENDING.value, MailState.DEAD.value} == set(states)
    counts = dict(
        session.execute(
            select(model.state, func.count()).where(model.state.in_(states)).group_by(model.state)
        ).all()
    )
    family = GaugeMetricFamily(name, doc, labels=["state"])
    for state in states:
        family.add_metric([state], counts.get(state, 0))
    return family
