from scripts.gen_docs import with_lifecycle_table, with_table
from tests.conftest import ROOT


def test_the_readme_error_table_is_the_catalogue():
    readme = (ROOT / "README.md").read_text()
    assert readme == with_table(readme), "README.md's error table is stale: run `make docs`"


def test_the_readme_lifecycle_table_is_the_transition_table():
    readme = (ROOT / "README.md").read_text()
    assert readme == with_lifecycle_table(readme), "README.md's lifecycle table is stale: run `make docs`"


def test_the_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_codes_are_unique_in_the_catalogue():
    from refunds_core.errors import CATALOGUE

    codes = [entry.code for entry in CATALOGUE]
    assert len(codes) == len(set(codes))
