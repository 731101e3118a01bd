"""Similar submissions: pairs whose texts are nearly the same, flagged for the admin (issue 15).

"The same initiative sent by two agencies": `flag_similar_submissions` reads
each submission's text (its summary and its documents' text, in order),
finds the pairs at least `threshold` alike with
`documents.similarity.similar_pairs` (Jaccard similarity of word 5-grams, an
exact score), and records each pair not flagged before as an open duplicate
flag (`duplicate_flags`, no import batch), whose reason gives the score:
"Texts 87% alike (summary and documents)". The admin then decides it where
the import's likely duplicates are decided, with the same decisions and the
same audit (`data_access.import_flags.decide_flag`). A pair flagged before, open
or decided, is never flagged again, so running it twice adds nothing and a
decision stands.

Admin only, checked here against the database (`require_role`); run on
demand (seconds at 10,000 submissions), never on a page view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from data_access import audit
from data_access.import_flags import flagged_pairs
from data_access.models import DuplicateFlag, Submission, SubmissionDocument, utcnow
from data_access.users import require_role
from documents.similarity import MAX_WORDS, similar_pairs

THRESHOLD = 0.6
# similar_pairs reads at most MAX_WORDS words of a text; this many characters hold more words than that
# in any ordinary text (about 6 characters a word with its space), and bound the memory a submission takes.
MAX_CHARACTERS = MAX_WORDS * 8


@dataclass(frozen=True)
class SimilarityRun:
    submissions: int  # compared
    pairs: int  # at least `threshold` alike
    flagged: int  # new flags recorded now
    already_flagged: int  # pairs flagged before (by an import or an earlier run), left as they are


def similarity_reason(score: float) -> str:
    return f"Texts {score:.0%} alike (summary and documents)"


def submission_texts(session: Session) -> dict[int, str]:
    """Each submission's summary followed by its documents' text, in order (at most MAX_CHARACTERS)."""
    parts: dict[int, list[str]] = {
        sid: [summary or ""] for sid, summary in session.execute(select(Submission.id, Submission.summary))
    }
    rows = session.execute(
        select(SubmissionDocument.submission_id, SubmissionDocument.text)
        .order_by(SubmissionDocument.submission_id, SubmissionDocument.position)
        .execution_options(yield_per=200)
    )
    for sid, text in rows:
        if sid in parts and sum(map(len, parts[sid])) < MAX_CHARACTERS:
            parts[sid].append(text or "")
    return {sid: "\n".join(texts)[:MAX_CHARACTERS] for sid, texts in parts.items()}


def flag_similar_submissions(
    session: Session,
    *,
    viewer: Viewer,
    threshold: float = THRESHOLD,
    progress: Callable[[float, str], None] | None = None,
) -> SimilarityRun:
    """Compare every submission's text with every other's and flag the pairs at
    least `threshold` alike that no flag names yet (admin only: AccessDenied)."""
    require_role(session, viewer, Role.ADMIN, to="look for similar submissions")
    report = progress or (lambda _fraction, _message: None)
    report(0.05, "Reading the submissions' texts")
    texts = submission_texts(session)
    report(0.4, f"Comparing {len(texts):,} submissions")
    pairs = similar_pairs({str(sid): text for sid, text in texts.items()}, threshold=threshold)
    report(0.9, "Recording the pairs")
    existing = flagged_pairs(session)
    references = {row.id: row.reference for row in session.execute(select(Submission.id, Submission.reference))}
    flagged = 0
    now = utcnow()
    for pair in pairs:
        first, second = int(pair.first), int(pair.second)
        if frozenset((first, second)) in existing:
            continue
        newer, older = max(first, second), min(first, second)  # as an import flags: the newer looks like the older
        reason = similarity_reason(pair.score)
        flag = DuplicateFlag(
            submission_id=newer, other_submission_id=older, reason=reason, status="open", created_at=now
        )
        session.add(flag)
        session.flush()
        audit.record(
            session,
            actor=viewer.username,
            action="duplicate_flag.create",
            entity="submission",
            entity_id=newer,
            new={
                "flag_id": flag.id,
                "reference": references.get(newer),
                "other_reference": references.get(older),
                "score": pair.score,
                "reason": reason,
            },
            detail=f"similar submissions (texts at least {threshold:.0%} alike)",
        )
        flagged += 1
    report(1.0, "Done")
    return SimilarityRun(
        submissions=len(texts), pairs=len(pairs), flagged=flagged, already_flagged=len(pairs) - flagged
    )
