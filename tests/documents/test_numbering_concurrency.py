"""Many concurrent writers never produce a duplicate or a gap in số đến (real commits)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.documents.blobs import Upload
from eoffice.documents.incoming import register_incoming
from eoffice.documents.models import Document
from eoffice.errors import InvalidInput
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.services import get_user_by_username
from tests.conftest import ENGINES, drop_postgres_database, fresh_database_url
from tests.documents.conftest import incoming_meta, make_pdf
from tests.factories import Factory

WRITERS = 16
EACH = 8


@pytest.mark.parametrize("engine_name", ENGINES)
def test_concurrent_registrations_are_gap_free(engine_name, tmp_path, worker_name, policy):
    url = fresh_database_url(engine_name, tmp_path, worker_name, "num")
    engine = (
        make_engine(url, pool_size=WRITERS + 2) if engine_name == "postgresql" else make_engine(url)
    )
    try:
        upgrade_to_head(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            clerk_name = Factory(session).org().clerk.username
        upload = Upload("a.pdf", "application/pdf", make_pdf())
        errors: list[BaseException] = []
        barrier = threading.Barrier(WRITERS)

        def writer(w: int) -> None:
            barrier.wait()
            for i in range(EACH):
                try:
                    with transaction(factory) as session:
                        clerk = get_user_by_username(session, clerk_name)
                        meta = incoming_meta(code_number=f"{w}-{i}"[:11])
                        register_incoming(session, Actor(user=clerk), meta, upload, policy)
                        if i == 3:  # a registration that fails after taking a number gives it back
                            raise InvalidInput("rollback on purpose")
                except InvalidInput:
                    pass
                except BaseException as e:  # pragma: no cover - reported below
                    errors.append(e)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with transaction(factory) as session:
            numbers = sorted(session.execute(select(Document.number)).scalars())
        expected = WRITERS * (EACH - 1)
        assert numbers == list(range(1, expected + 1))
    finally:
        engine.dispose()
        if engine_name == "postgresql":
            drop_postgres_database(url)
