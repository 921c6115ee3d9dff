"""GET /metrics: off without a token, bearer-protected, Prometheus text with request counters and
the database's queues (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from eoffice import clock
from eoffice.exchange.models import InboxMessage
from eoffice.notifications.models import OutgoingMail
from eoffice.system.services import record_heartbeat
from eoffice.web import create_app
from tests.conftest import bind_session

TOKEN = "prometheus-" + "k" * 30


@pytest.fixture
def metrics_client(settings, db_connection):
    app = create_app(
        settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}),
        session_factory=lambda: bind_session(db_connection),
    )
    return app.test_client()


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_are_off_without_a_token_and_need_the_right_one(client, metrics_client):
    assert client.get("/metrics").status_code == 404
    assert metrics_client.get("/metrics").status_code == 401
    wrong = metrics_client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"


def test_requests_are_counted_by_route_not_by_path(metrics_client):
    key = (
        "eoffice_http_requests_total",
        (("method", "GET"), ("route", "/verify/<code>"), ("status", "404")),
    )
    before = scrape(metrics_client).get(key, 0)
    for code in ("AAAA-BBBB", "CCCC-DDDD", "EEEE-FFFF"):
        metrics_client.get(f"/verify/{code}")
    after = scrape(metrics_client)
    assert after[key] == before + 3
    assert not any("AAAA" in str(labels) for _name, labels in after)  # no raw paths as labels
    count = after[
        (
            "eoffice_http_request_duration_seconds_count",
            (("method", "GET"), ("route", "/verify/<code>")),
        )
    ]
    assert count >= 3


def test_database_gauges_show_queues_and_heartbeats(metrics_client, db_session):
    empty = scrape(metrics_client)
    assert empty[("eoffice_database_up", ())] == 1
    assert empty[("eoffice_schema_at_head", ())] == 1
    assert empty[("eoffice_mail_outbox_messages", (("state", "pending"),))] == 0

    now = clock.now()
    record_heartbeat(db_session, "worker-1:42", now - timedelta(minutes=10))
    for n, state in enumerate(("pending", "pending", "dead", "sent")):
        db_session.add(
            OutgoingMail(
                dedup_key=f"metrics-{n}",
                to_address="a@example.vn",
                subject="Nhắc việc",
                content={},
                state=state,
            )
        )
    db_session.add(
        InboxMessage(axis_doc_id="axis-1", message_type="edoc", state="quarantined", raw=b"x")
    )
    db_session.commit()

    found = scrape(metrics_client)
    assert found[("eoffice_mail_outbox_messages", (("state", "pending"),))] == 2
    assert found[("eoffice_mail_outbox_messages", (("state", "dead"),))] == 1
    assert found[("eoffice_vxp_inbox_quarantined", ())] == 1
    assert found[("eoffice_workers_alive", ())] == 1
    assert 0 <= found[("eoffice_worker_heartbeat_age_seconds", ())] < 60
    assert found[("eoffice_vxp_outbox_messages", (("state", "pending"),))] == 0
