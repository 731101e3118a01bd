"""Runs cut short as a browser cuts them, and what a browser shows when it draws a widget afresh.

Streamlit stops a run part way when the browser asks for a new one (a
component reporting, the sign-in cookie arriving, a key pressed while the page
redraws); what the cut run had not yet sent is dropped when the next run
starts. A browser shows a widget's value only when the element says to set it,
or its default when it draws the widget afresh."""

from __future__ import annotations

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def shown_afresh(widget):
    """What a browser shows when it draws this widget afresh (with no value of
    its own): the value the element says to set, else the element's default
    (for a choice, the option's label; None: nothing chosen)."""
    proto = widget.proto
    if widget.type in ("radio", "selectbox"):
        if proto.set_value:
            return proto.raw_value
        return proto.options[proto.default] if proto.HasField("default") else None
    if proto.set_value:
        return proto.value
    if proto.DESCRIPTOR.fields_by_name["default"].has_presence and not proto.HasField("default"):
        return None
    return proto.default


def browser_asks_for_a_rerun() -> None:
    """What Streamlit does when the browser's rerun request arrives mid-run: a
    rerun carrying the browser's widget states (none of what the cut run drew)."""
    ctx = get_script_run_ctx()
    raise RerunException(
        RerunData(query_string=ctx.query_string, page_script_hash=ctx.page_script_hash, widget_states=WidgetStates())
    )


def cut_once(monkeypatch, owner, name: str) -> list[bool]:
    """The first call of `owner.name` in a run cuts that run short; later calls go through."""
    original = getattr(owner, name)
    cuts: list[bool] = []

    def cutting(*args, **kwargs):
        if not cuts:
            cuts.append(True)
            browser_asks_for_a_rerun()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, cutting)
    return cuts
