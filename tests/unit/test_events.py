"""Events reach whoever listens, and nobody is told when nobody listens."""

from __future__ import annotations

from aws_sagemaker_remote.events import Event, emit


def test_emit_hands_the_sink_one_event_with_its_data():
    heard: list[Event] = []
    emit(heard.append, "staged", "2 files staged", {"files": 2})
    emit(heard.append, "warning", "check {{instance}}")
    assert heard == [
        Event("staged", "2 files staged", {"files": 2}),
        Event("warning", "check {{instance}}", None),
    ]
    assert heard[0].kind == "staged" and heard[0].data == {"files": 2}


def test_emit_without_a_sink_does_nothing_and_does_not_fail():
    emit(None, "note", "nobody listens")


def test_an_event_is_a_value_that_unpacks():
    kind, text, data = Event("log", "a line")
    assert (kind, text, data) == ("log", "a line", None)
    assert Event("log", "a line") == Event("log", "a line", None)
