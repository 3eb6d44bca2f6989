"""The README and docs/ hold together: every relative link reaches a file and, with a
fragment, a heading there; every path of the tree they name exists; and every
environment variable the settings read is in the configuration table."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
TREE_PATH = re.compile(
    r"`((?:scheduling|crm|webhooks|config|tests|benchmarks|scripts|bin|locale|templates"
    r"|static|docs)/[\w./-]*)`")
SETTING = re.compile(r"(?:env_\w+|os\.environ\.get|os\.environ\[)\(?\s*\"([A-Z][A-Z0-9_]+)\"")


def prose(path: Path) -> str:
    """The file without its fenced code blocks."""
    return re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)


def anchors(path: Path) -> set[str]:
    """GitHub's ids for the headings of a Markdown file."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(path), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(path: Path) -> list[str]:
    return [target for target in LINK.findall(prose(path))
            if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_relative_link_reaches_a_file_and_its_heading(doc):
    for target in links(doc):
        name, _, fragment = target.partition("#")
        linked = (doc.parent / name).resolve() if name else doc
        assert linked.exists(), f"{doc.name}: {target} names no file"
        if fragment:
            assert fragment in anchors(linked), f"{doc.name}: {target} names no heading"


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_path_of_the_tree_a_doc_names_exists(doc):
    for path in TREE_PATH.findall(doc.read_text()):
        assert (ROOT / path).exists(), f"{doc.name} names {path}, which does not exist"


def test_every_environment_variable_the_settings_read_is_documented():
    read = set(SETTING.findall((ROOT / "config/settings.py").read_text()))
    assert {"DATABASE_URL", "SECRET_KEY", "MAX_URL_LENGTH"} <= read
    table = (ROOT / "docs/operations.md").read_text().split("\n## Configuration\n", 1)[1]
    assert not {name for name in read if f"`{name}`" not in table}


def test_the_readme_links_every_doc():
    named = {target.partition("#")[0] for target in links(ROOT / "README.md")}
    assert {f"docs/{doc.name}" for doc in DOCS[1:]} <= named
