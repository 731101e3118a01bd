"""bench/attach_bundle_bench.py's bundle: every accepted kind, each file one the
app accepts and different from the others, about the size asked for, written
one document at a time; and make bench runs it. The import it measures runs
tiny in tests/importing (the IMPORT tests); here only what the bench builds."""

from __future__ import annotations

import argparse
import hashlib
import zipfile
from collections import Counter

from bench import run_all
from bench.attach_bundle_bench import KINDS, write_bundle
from documents.prepare import prepare


def test_the_bundle_holds_every_kind_in_reference_folders_each_file_accepted_and_different(tmp_path):
    path = tmp_path / "bundle.zip"
    total, size = write_bundle(path, ["CFE-0001", "CFE-0002", "CFE-0003"], documents=len(KINDS), total_bytes=800_000)

    assert 0.8 * 800_000 < total < 1.2 * 800_000 and size == path.stat().st_size
    kinds, digests, read = Counter(), set(), 0
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        for name in names:
            content = bundle.read(name)
            read += len(content)
            digests.add(hashlib.sha256(content).hexdigest())
            kinds[prepare(content, name.rsplit("/", 1)[1]).sniffed.kind] += 1
    assert kinds == dict.fromkeys(("pdf", "docx", "pptx", "xlsx", "odt", "text", "png", "jpeg"), 1)
    assert read == total
    assert len(digests) == len(names)  # no two alike: the same file twice would be stored once
    assert {name.split("/")[0] for name in names} == {"CFE-0001", "CFE-0002", "CFE-0003"}


def test_make_bench_runs_it():
    scripts = run_all._scripts(argparse.ArgumentParser(), ["attach_bundle"])
    assert [s.name for s in scripts] == ["attach_bundle_bench.py"]
