"""Pure pieces: chart geometry, input parsing, the RAG policy (no database)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from eoffice.errors import InvalidInput
from eoffice.tasks.charts import RAG_COLOURS, bar_chart, trend_chart
from eoffice.tasks.inputs import TargetRef, parse_target, parse_task_input
from eoffice.tasks.policy import TaskPolicy
from eoffice.tasks.rules import RateFormula


def test_bars_are_proportional_and_the_goal_line_sits_at_three_percent():
    chart = bar_chart(
        [
            ("Sở A", Fraction(1, 10), "red", "/a"),
            ("Sở B", Fraction(1, 20), "amber", "/b"),
            ("Xã C", None, "none", "/c"),
        ],
        Fraction(3, 100),
        width=720,
        label_width=260,
    )
    plot = 720 - 260 - 70
    a, b, c = chart.bars
    assert a.width == pytest.approx(plot) and b.width == pytest.approx(plot / 2)  # axis: 10%
    assert c.width == 0 and c.value_text == "—"
    assert chart.goal_x == pytest.approx(260 + plot * 0.3)
    assert (a.colour, b.colour, c.colour) == (
        RAG_COLOURS["red"],
        RAG_COLOURS["amber"],
        RAG_COLOURS["none"],
    )
    assert [t[1] for t in chart.ticks] == ["0%", "2,5%", "5%", "7,5%", "10%"]
    assert a.y < b.y < c.y


def test_the_axis_grows_to_the_worst_rate():
    chart = bar_chart([("Sở A", Fraction(37, 100), "red", "/a")], Fraction(3, 100))
    assert chart.ticks[-1][1] == "40%"


def test_the_trend_line_skips_months_without_a_rate():
    chart = trend_chart(
        [
            ("01/2026", None, True),
            ("02/2026", Fraction(2, 100), True),
            ("03/2026", Fraction(4, 100), False),
        ],
        Fraction(3, 100),
    )
    assert chart.points[0].y is None
    assert chart.polyline.count(",") == 2  # two points
    assert chart.points[2].y < chart.goal_y < chart.points[1].y  # 4% above the line, 2% below


def test_rag_thresholds_and_formulas():
    policy = TaskPolicy()
    assert [
        policy.rag(r) for r in (None, Fraction(3, 100), Fraction(4, 100), Fraction(6, 100))
    ] == [
        "none",
        "green",
        "amber",
        "red",
    ]
    with pytest.raises(ValueError, match="không phải tỷ lệ quá hạn"):
        TaskPolicy(rate_formula=RateFormula.COMPLETION_RATE)
    assert TaskPolicy(rate_formula=RateFormula.OVERDUE_OPEN_RATE).rate_formula.label.startswith(
        "Tỷ lệ"
    )


def test_policy_from_settings(settings):
    policy = TaskPolicy.from_settings(settings.model_copy(update={"due_soon_working_days": 5}))
    assert policy.status.due_soon_working_days == 5 and policy.target_rate == Fraction(3, 100)


def test_json_input_with_an_agency_lead_and_working_days():
    data = parse_task_input(
        {
            "title": " Rà soát ",
            "lead_agency": "000.00.02.H34",
            "due_in_working_days": "5",
            "due_from": "2026-11-02",
            "cooperators": [{"unit": 3}, "user:chuyenvien1.snv", "agency:000.00.03.H34"],
        }
    )
    assert data.title == "Rà soát" and data.lead == TargetRef(agency_code="000.00.02.H34")
    assert data.due_in_working_days == 5 and data.due_from == date(2026, 11, 2)
    assert data.cooperators == (
        TargetRef(unit=3),
        TargetRef(user="chuyenvien1.snv"),
        TargetRef(agency_code="000.00.03.H34"),
    )


def test_form_input_names_the_lead_in_one_field():
    data = parse_task_input(
        {"title": "X", "lead": "user:7", "due_date": "2026-11-20", "priority": "urgent"}
    )
    assert data.lead == TargetRef(user=7) and data.priority == "urgent"
    assert parse_target("unit:VP") == TargetRef(unit="VP")
    assert parse_target("planet:1") is None and parse_target("user:") is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "X", "lead_agency": "a", "lead_user": "b"}, "lead"),
        ({"title": "X"}, "lead"),
        ({"title": "X", "lead_user": 1, "due_date": "20/11/2026"}, "due_date"),
        (
            {"title": "X", "lead_user": 1, "due_date": "2026-11-20", "due_in_working_days": 3},
            "due_date",
        ),
        ({"title": "X", "lead_user": 1, "due_in_working_days": True}, "due_date"),
        ({"title": "X", "lead_user": 1, "priority": "critical"}, "priority"),
        ({"title": "X", "lead_user": 1, "cooperators": [{"unit": 1, "user": 2}]}, "cooperators"),
        ({"title": "", "lead_user": 1}, "title"),
    ],
)
def test_bad_input_names_the_field(data, field):
    with pytest.raises(InvalidInput) as e:
        parse_task_input(data)
    assert field in e.value.fields
