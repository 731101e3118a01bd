#!/usr/bin/env python
"""Importing submissions with a ZIP of their documents: the time, and the importer's peak memory.

    .venv/bin/python bench/attach_bundle_bench.py                      # 500 documents, about 200 MB, SQLite
    .venv/bin/python bench/attach_bundle_bench.py --documents 40 --megabytes 8 --backend both

Writes a deterministic import file of `--rows` synthetic submissions (the
demo call's generator, as the office's template: bench/import_bench.py) and a
ZIP of `--documents` documents for them, about `--megabytes` MB in all, each
in a folder named after its submission's reference (`CFE-0001/...`), of every
accepted kind in turn: PDF (pages of text), Word, PowerPoint and Excel files
and OpenDocument texts (a few paragraphs and a picture), plain text, PNG and
JPEG pictures. Pictures are noise (they do not compress), so the bytes are
really there; every file is different (the same file twice would be stored
once). The ZIP is written one document at a time and never held whole.

Then, on a fresh migrated database of each backend, the import itself runs in a
child process, as an office would run it:

    python manage.py import-submissions FILE --attachments BUNDLE.zip

(this script with --child, which runs what that command runs, `manage.main`),
and the bench reads that child's own peak resident memory (its VmHWM: the
interpreter, the import, the documents' checks, cleaning and text
extraction, nothing of this process's) and the wall-clock seconds.
It checks that the database then holds every submission and every document.

Figures (issue 15): the time (no target: it is the time of checking, cleaning
and reading the text of 200 MB of documents, not a wait in a page) and the
peak memory, target under 500 MB (files streamed, not held twice). Each is a
FIGURE line (`bench/figures.py`); the exit status is 1 when one misses.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import figure  # noqa: E402

os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(48))  # manage.py checks the settings first
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

MEMORY_TARGET_MB = 500
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Every accepted kind, in turn; a kind's share of the bytes (pictures are big, text files small).
KINDS = ("pdf", "docx", "pptx", "xlsx", "odt", "txt", "png", "jpg")
WEIGHTS = {"pdf": 1.0, "docx": 1.2, "pptx": 1.4, "xlsx": 0.8, "odt": 1.0, "txt": 0.3, "png": 1.3, "jpg": 1.0}
WORDS = [
    "young",
    "people",
    "exploitation",
    "referral",
    "practitioner",
    "outreach",
    "evaluation",
    "partnership",
    "safeguarding",
    "family",
    "support",
    "advocate",
    "school",
    "housing",
    "police",
    "health",
    "service",
    "evidence",
    "outcome",
    "pilot",
    "training",
    "community",
    "survivor",
    "trauma",
    "informed",
    "disruption",
    "guardian",
    "court",
    "transition",
    "review",
    "measure",
    "finding",
]
PAGE_CHARS = 4_000  # about a page of the hand-written PDF (48 lines of 90 characters)


def words(rng: random.Random, n_chars: int) -> str:
    """Synthetic prose of about n_chars characters, in paragraphs."""
    out, size = [], 0
    while size < n_chars:
        paragraph = " ".join(rng.choices(WORDS, k=60)).capitalize() + "."
        out.append(paragraph)
        size += len(paragraph) + 1
    return "\n".join(out)


def noise_picture(rng: random.Random, n_bytes: int, fmt: str = "PNG") -> bytes:
    """A picture of coloured noise of about n_bytes (PNG: exactly its pixels; JPEG: near it)."""
    from PIL import Image

    pixels = max(16, n_bytes // 3 if fmt == "PNG" else n_bytes)  # noise at quality 90: about 1 byte a pixel
    width = max(4, int(pixels**0.5))
    height = max(4, pixels // width)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {"compress_level": 1}))
    return out.getvalue()


def _docx(rng: random.Random, size: int) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.author = ""
    document.add_heading("Practitioner toolkit (synthetic bench document)", level=1)
    for paragraph in words(rng, 3_000).split("\n"):
        document.add_paragraph(paragraph)
    document.add_picture(io.BytesIO(noise_picture(rng, size)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pptx(rng: random.Random, size: int) -> bytes:
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Findings (synthetic bench document)"
    slide.placeholders[1].text = words(rng, 600)
    picture = deck.slides.add_slide(deck.slide_layouts[6])
    picture.shapes.add_picture(io.BytesIO(noise_picture(rng, size)), 0, 0)
    deck.core_properties.author = ""
    deck.core_properties.last_modified_by = ""
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _xlsx(rng: random.Random, size: int) -> bytes:
    import openpyxl
    from openpyxl.drawing.image import Image as SheetImage

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Site", "Referrals", "Engaged at six months", "Notes"])
    for row in range(200):
        sheet.append([f"Site {row + 1}", rng.randint(5, 90), rng.randint(1, 60), " ".join(rng.choices(WORDS, k=6))])
    sheet.add_image(SheetImage(io.BytesIO(noise_picture(rng, size))), "F2")
    book.properties.creator = ""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _odt(rng: random.Random, size: int) -> bytes:
    from tests.documents.builders import make_odt, rezip

    return rezip(make_odt(words(rng, 3_000)), {}, add={"Pictures/figure.png": noise_picture(rng, size)})


def make_document(kind: str, rng: random.Random, size: int) -> bytes:
    """One synthetic document of `kind` (an extension of KINDS), about `size` bytes."""
    from documents.generate import make_pdf

    if kind == "pdf":
        text = words(rng, size)
        return make_pdf([text[i : i + PAGE_CHARS] for i in range(0, len(text), PAGE_CHARS)])
    if kind == "txt":
        return ("Synthetic bench document.\n" + words(rng, size)).encode()
    if kind in ("png", "jpg"):
        return noise_picture(rng, size, "PNG" if kind == "png" else "JPEG")
    return {"docx": _docx, "pptx": _pptx, "xlsx": _xlsx, "odt": _odt}[kind](rng, size)


def write_bundle(
    path: Path, references: list[str], *, documents: int, total_bytes: int, seed: int = 15
) -> tuple[int, int]:
    """A ZIP of `documents` documents in folders named after `references` (in
    turn), of every kind in turn, about `total_bytes` in all; returns the
    documents' total and the ZIP's size (smaller: text and PDFs are deflated).
    Each document is written as it is made (pictures stored, the rest deflated)."""
    rng = random.Random(seed)
    unit = total_bytes / sum(WEIGHTS[KINDS[i % len(KINDS)]] for i in range(documents))
    written = 0
    with zipfile.ZipFile(path, "w") as bundle:
        for i in range(documents):
            kind = KINDS[i % len(KINDS)]
            size = int(unit * WEIGHTS[kind] * rng.uniform(0.8, 1.2))
            content = make_document(kind, rng, size)
            written += len(content)
            stored = kind in ("png", "jpg", "docx", "pptx", "xlsx", "odt")  # already compressed
            name = f"{references[i % len(references)]}/document-{i + 1:03d}.{kind}"
            bundle.writestr(name, content, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return written, path.stat().st_size


PEAK = "peak memory (VmHWM, kB): "


def child(rows: Path, bundle: Path) -> int:
    """In the child process: what `python manage.py import-submissions ROWS
    --attachments BUNDLE` runs (manage.main), then this process's own peak
    memory. VmHWM, not ru_maxrss: a spawned child's ru_maxrss starts from its
    parent's peak (Linux keeps the forking process's high-water mark across exec)."""
    import manage

    try:
        return manage.main(["import-submissions", str(rows), "--attachments", str(bundle)])
    finally:
        status = Path("/proc/self/status").read_text()
        print(PEAK + status.split("VmHWM:")[1].split()[0], flush=True)


def run_import(url: str, rows: Path, bundle: Path) -> tuple[int, float, float | None, str]:
    """The import in a child process (`child`): (exit status, seconds, the
    child's peak memory in MB, its output)."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--child", str(rows), str(bundle)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    output = done.stdout.decode("utf-8", errors="replace")
    peaks = [line.removeprefix(PEAK) for line in output.splitlines() if line.startswith(PEAK)]
    return done.returncode, seconds, int(peaks[-1]) / 1024 if peaks else None, output


def stored(url: str) -> tuple[int, int]:
    """(submissions, documents) in the database at `url`."""
    from sqlalchemy import func, select

    from data_access.db import Database
    from data_access.models import Submission, SubmissionDocument

    db = Database(url)
    try:
        with db.read() as session:
            return (
                session.scalar(select(func.count(Submission.id))),
                session.scalar(select(func.count(SubmissionDocument.id))),
            )
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--megabytes", type=float, default=200)
    parser.add_argument("--rows", type=int, default=250, help="submissions in the import file")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("ROWS", "BUNDLE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)

    from bench.databases import migrated_database
    from bench.import_bench import write_file
    from config import load_call_config

    references = [s.reference for s in _references(load_call_config(), args.rows)]
    ok = True
    with tempfile.TemporaryDirectory(prefix="attach-bundle-bench-") as tmp:
        work = Path(tmp)
        rows, bundle = work / "submissions.csv", work / "documents.zip"
        write_file(rows, args.rows)
        started = time.perf_counter()
        total, size = write_bundle(bundle, references, documents=args.documents, total_bytes=int(args.megabytes * 1e6))
        print(
            f"bundle: {args.documents} documents, {total / 1e6:.0f} MB ({size / 1e6:.0f} MB zipped), "
            f"written in {time.perf_counter() - started:.0f} s"
        )
        for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
            (work / backend).mkdir()
            with migrated_database(backend, work / backend) as db:
                if db is None:
                    ok &= figure(f"attach bundle ({NAMES[backend]})", None, "s", target=("<", 0), note="no database")
                    continue
                ok &= measure(db.url, NAMES[backend], rows, bundle, args, total)
    return 0 if ok else 1


def _references(config, rows: int):
    from data_access.demo import generate_demo

    return generate_demo(config, n=rows).submissions


def measure(url: str, label: str, rows: Path, bundle: Path, args: argparse.Namespace, total: int) -> bool:
    status, seconds, peak, output = run_import(url, rows, bundle)
    submissions, documents = stored(url) if status == 0 else (0, 0)
    print(f"{label}: exit status {status}, {seconds:.1f} s, peak memory {peak or 0:.0f} MB")
    print(f"{label}: stored {submissions} submissions and {documents} documents")
    what = f"{args.documents} documents ({total / 1e6:.0f} MB) beside {args.rows} submissions"
    if status != 0 or peak is None or (submissions, documents) != (args.rows, args.documents):
        print(output[-4000:])
        figure(f"{label}, importing {what}", None, "s", target=("<", 0), note=f"the import failed ({status})")
        return False
    figure(
        f"{label}, importing {what}",
        round(seconds, 1),
        "s",
        note="manage.py import-submissions --attachments in a child process: check, clean, extract, store",
    )
    return figure(
        f"{label}, importer's peak memory with {what}",
        round(peak),
        "MB",
        target=("<", MEMORY_TARGET_MB),
        note="the child process's own peak resident memory (VmHWM, interpreter included)",
    )


if __name__ == "__main__":
    sys.exit(main())
