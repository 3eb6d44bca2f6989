"""requirements.lock, which make install installs with --require-hashes, holds every
dependency pyproject.toml names at a version its range admits, each with its hashes."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def locked() -> dict[str, tuple[str, list[str]]]:
    """Each pinned package of the lock: its version and its hashes."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        text = line.strip()
        if "==" in text and not line[0].isspace() and not text.startswith("#"):
            name, version = text.rstrip(" \\").split("==")
            current = canonicalize_name(name)
            pins[current] = (version, [])
        elif text.startswith("--hash=") and current:
            pins[current][1].append(text.removeprefix("--hash=").rstrip(" \\"))
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(name) for name in names]


def test_every_dependency_of_pyproject_is_locked_at_a_version_its_range_admits():
    pins = locked()
    for requirement in declared():
        if requirement.marker and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run make lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {requirement.name}=={version}, outside "
            f"{requirement.specifier}: run make lock"
        )


def test_every_locked_package_carries_sha256_hashes():
    pins = locked()
    assert len(pins) > 50
    for name, (_version, hashes) in pins.items():
        assert hashes, f"{name} has no hash in requirements.lock"
        assert all(h.startswith("sha256:") and len(h) == 71 for h in hashes), name
