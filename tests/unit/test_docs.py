import re
from pathlib import Path

from scripts.gen_docs import ERRORS_DOC, with_table
from tests.conftest import ROOT
from tests.guide_runner import guides, pages

README = ROOT / "README.md"


def test_the_error_table_is_the_catalogue():
    doc = ERRORS_DOC.read_text()
    assert doc == with_table(doc), "docs/errors.md's error table is stale: run `make docs`"


def test_the_readme_starts_with_the_two_commands():
    first_block = README.read_text().split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_the_readme_is_read_to_the_end():
    """A newcomer's page: what it is, how to run it, where the rest is (the rest lives in docs/)."""
    lines = README.read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move the detail to a page of docs/"


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(page.read_text()), flags=re.M):
        slug = _slug(heading)
        anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _prose(text: str) -> str:
    return re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.M | re.S)


def test_every_link_between_the_pages_lands():
    broken = []
    for page in pages():
        for target in re.findall(r"\]\(([^)\s]+)\)", _prose(page.read_text())):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_the_pages_follow_the_guide_convention():
    """Every `# ->` line is on a guide and parses, every guide checks something
    (tests/integration/test_guides.py runs them)."""
    found = {guide.path.name: guide.checks for guide in guides()}
    assert "README.md" in found and all(found.values()), found


def _opening(guide) -> str:
    """The lines a guide starts with, up to its helper functions' end (the token function)."""
    lines = guide.steps[0].commands.splitlines()
    token = next(number for number, line in enumerate(lines) if line.startswith("token() {"))
    return "\n".join(lines[:lines.index("}", token) + 1])


def test_every_guide_starts_with_the_same_lines():
    """A reader who learnt `call` and `get` in one guide meets the same ones in the next."""
    readme, *others = guides()
    different = [guide.path.name for guide in others if _opening(guide) != _opening(readme)]
    assert not different, f"their first block differs from the README's quick start: {different}"


def test_codes_are_unique_in_the_catalogue():
    from refunds_core.errors import CATALOGUE

    codes = [entry.code for entry in CATALOGUE]
    assert len(codes) == len(set(codes))
