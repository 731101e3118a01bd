"""bench/protocol_client.py's framing, without a server: the rerun it asks for, where a visit ends,
what it reads from the frames (widgets, bytes, the new query) and what it leaves for the next visit."""

from __future__ import annotations

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.protocol_client import Widget, read_visit, rerun_message, run_ended


def _finished(status: str) -> bytes:
    msg = ForwardMsg()
    msg.script_finished = ForwardMsg.ScriptFinishedStatus.Value(status)
    return msg.SerializeToString()


def _radio(widget_id: str, label: str, options: list[str]) -> bytes:
    msg = ForwardMsg()
    msg.delta.new_element.radio.id = widget_id
    msg.delta.new_element.radio.label = label
    msg.delta.new_element.radio.options.extend(options)
    return msg.SerializeToString()


def _button(widget_id: str, label: str) -> bytes:
    msg = ForwardMsg()
    msg.delta.new_element.button.id = widget_id
    msg.delta.new_element.button.label = label
    return msg.SerializeToString()


def _markdown(body: str) -> bytes:
    msg = ForwardMsg()
    msg.delta.new_element.markdown.body = body
    return msg.SerializeToString()


def _query(query: str) -> bytes:
    msg = ForwardMsg()
    msg.page_info_changed.query_string = query
    return msg.SerializeToString()


def _new_session() -> bytes:
    msg = ForwardMsg()
    msg.new_session.initialize.session_id = "s-1"
    return msg.SerializeToString()


def test_the_rerun_carries_the_page_the_query_and_only_the_widgets_changed():
    sent = BackMsg()
    sent.ParseFromString(
        rerun_message(
            "my_reviews",
            "submission=CFE-00012",
            strings={"$$ID-a-review.12.promise": "3"},
            ints={"$$ID-b-count": 7},
            clicks=("$$ID-c-my_reviews.draft",),
        )
    )
    assert sent.WhichOneof("type") == "rerun_script"
    assert (sent.rerun_script.page_name, sent.rerun_script.query_string) == ("my_reviews", "submission=CFE-00012")
    states = {w.id: w for w in sent.rerun_script.widget_states.widgets}
    assert set(states) == {"$$ID-a-review.12.promise", "$$ID-b-count", "$$ID-c-my_reviews.draft"}
    assert states["$$ID-a-review.12.promise"].WhichOneof("value") == "string_value"
    assert states["$$ID-a-review.12.promise"].string_value == "3"
    assert states["$$ID-b-count"].int_value == 7
    assert states["$$ID-c-my_reviews.draft"].trigger_value is True

    plain = BackMsg()
    plain.ParseFromString(rerun_message("rankings"))
    assert plain.rerun_script.page_name == "rankings" and not plain.rerun_script.widget_states.widgets
    assert plain.rerun_script.fragment_id == ""  # a whole run, unless a fragment is named


def test_a_widget_drawn_in_a_fragment_reruns_only_that_fragment():
    drawn = ForwardMsg()
    drawn.ParseFromString(_radio("$$ID-a-review.12.promise", "Promise: how much", ["1", "2"]))
    drawn.delta.fragment_id = "frag-1"
    visit = read_visit([drawn.SerializeToString(), _finished("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")])
    assert visit.ended
    radio = visit.widget("radio", "Promise", prefix=True)
    assert radio.fragment_id == "frag-1"
    sent = BackMsg()
    sent.ParseFromString(rerun_message("my_reviews", strings={radio.id: "2"}, fragment_id=radio.fragment_id))
    assert sent.rerun_script.fragment_id == "frag-1"
    outside = read_visit([_radio("$$ID-b-x", "Other", ["a"]), _finished("FINISHED_SUCCESSFULLY")])
    assert outside.widget("radio", "Other").fragment_id == ""


def test_a_visit_ends_at_a_run_end_that_no_rerun_follows():
    for status, ends in (
        ("FINISHED_SUCCESSFULLY", True),
        ("FINISHED_WITH_COMPILE_ERROR", True),
        ("FINISHED_FRAGMENT_RUN_SUCCESSFULLY", True),
        ("FINISHED_EARLY_FOR_RERUN", False),  # st.rerun(): the next run is still to come
    ):
        msg = ForwardMsg()
        msg.ParseFromString(_finished(status))
        assert run_ended(msg) is ends, status
    other = ForwardMsg()
    other.ParseFromString(_markdown("Draft saved."))
    assert run_ended(other) is False


def test_a_visit_reads_through_a_rerun_and_leaves_what_follows_for_the_next():
    frames = [
        _new_session(),
        _radio("$$ID-1-review.12.promise", "Promise: How much", ["1", "2", "3", "4", "5", "Cannot judge"]),
        _button("$$ID-2-my_reviews.draft", "Save draft"),
        _finished("FINISHED_EARLY_FOR_RERUN"),  # the save reruns the page
        _new_session(),
        _query("submission=CFE-00013"),
        _markdown("Draft saved."),
        _button("$$ID-2-my_reviews.draft", "Save draft"),
        _finished("FINISHED_SUCCESSFULLY"),
    ]
    later = _markdown("a message of the next run")
    stream = iter([*frames, later])
    ticks = iter([10.0, 10.75])

    visit = read_visit(stream, clock=lambda: next(ticks))

    assert visit.ended and visit.runs == 2
    assert visit.seconds == 0.75
    assert visit.received == sum(len(f) for f in frames)
    assert visit.query_string == "submission=CFE-00013"
    assert visit.carries("Draft saved.") and not visit.carries("Review submitted.")
    assert visit.widget("radio", "Promise: ", prefix=True) == Widget(
        "radio", "$$ID-1-review.12.promise", "Promise: How much", ("1", "2", "3", "4", "5", "Cannot judge")
    )
    assert visit.widget("radio", "Promise: ") is None  # the exact label only, unless a prefix is asked for
    assert visit.widget("button", "Save draft").id == "$$ID-2-my_reviews.draft"
    assert [w.kind for w in visit.widgets] == ["radio", "button", "button"]  # markdown is not a widget
    assert next(stream) == later  # not consumed: it belongs to the next visit


def test_a_visit_whose_run_never_ends_says_so():
    visit = read_visit([_new_session(), _markdown("half a page"), _finished("FINISHED_EARLY_FOR_RERUN"), "text frame"])
    assert not visit.ended and visit.runs == 1
    assert visit.received == sum(len(f) for f in (_new_session(), _markdown("half a page"))) + len(
        _finished("FINISHED_EARLY_FOR_RERUN")
    )
