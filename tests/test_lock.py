"""The lock files install exactly what pyproject.toml declares, every package
pinned with its hashes, and the runtime and dev locks agree on every package
they share: two machines that run `make` get the same code."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*$")


def read_lock(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """{package: (version, hashes)} from a lock file; fails on any line that is
    not a pin with hashes."""
    text = (ROOT / name).read_text()
    entries: dict[str, tuple[str, frozenset[str]]] = {}
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(" --hash=")
        pin = PIN.match(parts[0].strip())
        assert pin, f"{name}: not an exact pin: {line[:120]}"
        hashes = frozenset(h.strip() for h in parts[1:])
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}: {pin['name']} has no sha256 hash"
        package = canonicalize_name(pin["name"])
        assert package not in entries, f"{name}: {package} twice"
        entries[package] = (pin["version"], hashes)
    return entries


def declared(group: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(spec) for spec in specs]


def exact_version(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"pyproject.toml: pin {requirement.name} with =="
    return spec.version


def test_every_declared_dependency_is_locked_at_its_pinned_version():
    runtime, dev = read_lock("requirements.txt"), read_lock("requirements-dev.txt")
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert runtime.get(name, (None,))[0] == exact_version(requirement), f"requirements.txt: {name}"
        assert dev.get(name, (None,))[0] == exact_version(requirement), f"requirements-dev.txt: {name}"
    for requirement in declared("dev"):
        name = canonicalize_name(requirement.name)
        assert dev.get(name, (None,))[0] == exact_version(requirement), f"requirements-dev.txt: {name}"
        assert name not in runtime, f"requirements.txt carries the dev tool {name}"


def test_the_dev_lock_installs_the_runtime_lock_unchanged():
    runtime, dev = read_lock("requirements.txt"), read_lock("requirements-dev.txt")
    assert len(runtime) > len(declared()), "the runtime lock should carry the transitive dependencies too"
    different = {name: (pin, dev.get(name)) for name, pin in runtime.items() if dev.get(name) != pin}
    assert not different, f"the dev lock differs from the runtime lock: {sorted(different)}"
