import pytest

from eoffice.documents.workflow import TRANSITIONS, Action, Status, allowed_actions, next_status
from eoffice.errors import InvalidTransition

OUTGOING_PATH = [
    Action.SUBMIT,
    Action.REVIEW,
    Action.APPROVE,
    Action.SIGN,
    Action.NUMBER,
    Action.SEAL,
    Action.ISSUE,
]


def test_outgoing_path_has_every_step_in_order():
    status = Status.DRAFT
    for action in OUTGOING_PATH:
        status = next_status(status, action)
    assert status is Status.ISSUED


@pytest.mark.parametrize("skipped", range(len(OUTGOING_PATH)))
def test_no_outgoing_step_can_be_skipped(skipped):
    status = Status.DRAFT
    for action in OUTGOING_PATH[:skipped]:
        status = next_status(status, action)
    for later in OUTGOING_PATH[skipped + 1 :]:
        with pytest.raises(InvalidTransition):
            next_status(status, later)


def test_issuing_before_signing_names_the_states():
    with pytest.raises(InvalidTransition) as info:
        next_status(Status.APPROVED, Action.ISSUE)
    assert (
        info.value.render()
        == "Không thể thực hiện «Phát hành» khi văn bản đang ở trạng thái «Chờ ký»"
    )


def test_every_status_has_a_label_and_terminal_states_allow_little():
    assert all(s.label for s in Status)
    assert allowed_actions(Status.COMPLETED) == [Action.RECALL]  # only the sender's recall
    assert allowed_actions(Status.WITHDRAWN) == []
    assert allowed_actions(Status.RECALLED) == []
    assert {target for target in TRANSITIONS.values()} <= set(Status)
