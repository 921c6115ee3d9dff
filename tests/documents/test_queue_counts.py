"""The registry menu counts equal the queues they open (due soon and overdue are counted as
FILTERs of the in-progress query)."""

from datetime import timedelta

from eoffice import clock
from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    assign_document,
    present_to_leader,
    reassign_within_unit,
    register_incoming,
)
from eoffice.documents.queries import DocumentFilter, list_documents, queue_counts, queues_for
from eoffice.org.actor import Actor
from tests.documents.conftest import incoming_meta


def test_menu_counts_equal_the_queues(factory, db_session, policy, pdf_upload):
    org = factory.org()
    clerk, leader = Actor(user=org.clerk), Actor(user=org.leader)
    specialist = Actor(user=org.specialist)
    start = clock.now()
    deadlines = [clock.today() + timedelta(days=d) for d in (2, 10, 10)]
    for n, deadline in enumerate(deadlines):
        doc = register_incoming(
            db_session, clerk, incoming_meta(code_number=str(n + 1)), pdf_upload, policy
        ).document
        present_to_leader(db_session, clerk, doc, org.leader)
        plan = AssignmentPlan(lead=Target(unit_id=org.unit_head.unit_id), deadline=deadline)
        assign_document(db_session, leader, doc, plan)
        reassign_within_unit(db_session, Actor(user=org.unit_head), doc, org.specialist, deadline)

    def check(days_later: int) -> dict[str, int]:
        with clock.frozen(start + timedelta(days=days_later)):
            counts = queue_counts(db_session, specialist)
            assert list(counts) == queues_for(specialist)
            for name, n in counts.items():
                page = list_documents(db_session, specialist, DocumentFilter(queue=name))
                assert n == len(page.items), name
            return counts

    assert check(0) == {"in_progress": 3, "due_soon": 1, "overdue": 0, "my_drafts": 0}
    assert check(5) == {"in_progress": 3, "due_soon": 0, "overdue": 1, "my_drafts": 0}
    assert check(8)["due_soon"] == 2
    assert check(11) == {"in_progress": 3, "due_soon": 0, "overdue": 3, "my_drafts": 0}
