"""Evidence documents, read safely: a pure package (no Streamlit, no SQLAlchemy).

The data layer calls `documents.prepare.prepare(content, filename)` for each
file attached to a submission, which runs, in this order (docs/documents.md
has the whole API and the rules):

* `documents.sniff.sniff(content, filename, limits=...)`: the kind, from the
  content, or `DocumentRefused(reason, message)`;
* `documents.metadata.clean(content, kind)`: the copy reviewers see, without
  identifying metadata, and what was removed;
* `documents.text.extract_text(cleaned, kind)`: bounded plain text for reading
  and search;
* `documents.bundle.match_bundle(entry_names, rows)`: a ZIP of documents
  beside an import, matched to its rows;
* `documents.similarity.similar_pairs(texts)`: submissions whose texts are
  nearly the same;
* `documents.generate`: the demo call's synthetic documents.
"""

from documents.errors import REASONS, DocumentRefused

__all__ = ["REASONS", "DocumentRefused"]
