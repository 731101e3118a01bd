"""The Submissions page's search of documents' text, and the admin's search for similar submissions.

Both call one function of the data layer (`data_access.search.search_documents`,
`data_access.similar.flag_similar_submissions`), which applies the viewer's
rights on the server. What documents say is contributor text: snippets and
labels are shown in `st.dataframe` cells, never as Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.search import DocumentHit, SearchQueryError, search_documents
from data_access.similar import THRESHOLD, flag_similar_submissions
from ui.guard import refuse
from ui.render import table_key

DOCUMENT_HITS = 50


def document_hits(db: Database, viewer: Viewer, query: str) -> list[DocumentHit]:
    """The documents (at most DOCUMENT_HITS) the viewer may see that hold every word of the query;
    a query that cannot be searched is said in words, and finds nothing in documents."""
    if not query.strip():
        return []
    try:
        with db.read() as session:
            return search_documents(session, query=query, viewer=viewer, limit=DOCUMENT_HITS)
    except SearchQueryError as exc:
        st.warning(f"{exc} Documents were not searched.", icon=":material/search_off:")
        return []


def show_document_hits(hits: list[DocumentHit], listed: Collection[int]) -> None:
    """Which document of each listed submission matched, with the words around the match, as plain text."""
    shown = [h for h in hits if h.submission_id in set(listed)]
    if not shown:
        return
    st.header("Found in documents", anchor=False)
    more = " (the first 50)" if len(hits) >= DOCUMENT_HITS else ""
    st.caption(f"Documents that hold every word of the search{more}, with the words around the first match.")
    frame = pd.DataFrame(
        [{"Reference": h.reference, "Document": h.label, "Where it matched": h.snippet} for h in shown]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=table_key("submissions.document_hits", [h.document_id for h in shown]),
    )


def similar_panel(db: Database, viewer: Viewer) -> None:
    """The admin's button to look for submissions whose texts are nearly the same; the pairs
    found become likely duplicates, decided below like an import's."""
    st.header("Similar submissions", anchor=False)
    st.caption(
        f"Compares every submission's summary and documents' text with every other's and flags the pairs at least "
        f"{THRESHOLD:.0%} alike (the same initiative sent twice) as likely duplicates to decide below. It can take "
        "a minute with thousands of submissions. A pair flagged before is not flagged again."
    )
    if not st.button("Look for similar submissions", icon=":material/compare:", key="import.similar"):
        return
    try:
        with st.spinner("Comparing the submissions' texts..."), db.write() as session:
            run = flag_similar_submissions(session, viewer=viewer)
    except AccessDenied as exc:
        refuse(
            db,
            viewer,
            attempted="duplicate_flag.create",
            entity="submission",
            entity_id=None,
            detail=f"similar submissions: {exc}",
            message="Only an administrator may look for similar submissions.",
        )
        return
    st.success(
        f"Compared {run.submissions:,} submissions: {run.pairs} pair{'s' if run.pairs != 1 else ''} at least "
        f"{THRESHOLD:.0%} alike, {run.flagged} newly flagged, {run.already_flagged} flagged before.",
        icon=":material/check_circle:",
    )
