"""Fixtures of Nhắc việc: a province with a department under it, a frozen clock, a calendar."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.org.actor import Actor
from eoffice.org.models import User
from eoffice.tasks.calendar import VN_TZ, WorkingCalendar
from eoffice.tasks.inputs import TargetRef, TaskInput
from eoffice.tasks.models import Task
from eoffice.tasks.services import create_task
from tests.factories import Factory, Org

# Monday 02/11/2026, 09:00 in Hà Nội time: no holiday within three weeks either side.
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=VN_TZ)


def vn(text: str) -> datetime:
    """Parse "YYYY-MM-DD HH:MM" as Asia/Ho_Chi_Minh time."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture
def now() -> Iterator[datetime]:
    with clock.frozen(MONDAY):
        yield MONDAY


@dataclass
class Province:
    """A province UBND with a department (sở) under it."""

    province: Org
    department: Org

    def actor(self, user: User) -> Actor:
        return Actor(user=user)


@pytest.fixture
def province(factory: Factory) -> Province:
    top = factory.org()
    return Province(top, factory.org(parent=top.agency))


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def give(
    session: Session,
    giver: User,
    calendar: WorkingCalendar,
    *,
    lead: TargetRef,
    due: date | None,
    title: str = "Báo cáo tình hình thực hiện nhiệm vụ quý IV",
    parent: Task | None = None,
    **extra,
) -> Task:
    data = TaskInput(
        title=title,
        content="Tổng hợp, báo cáo UBND tỉnh.",
        lead=lead,
        due_date=due,
        parent_id=parent.id if parent else None,
        **extra,
    )
    return create_task(session, Actor(user=giver), data, calendar)
