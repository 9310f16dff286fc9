"""The guide runner (tests/guide_runner.py) fails a guide that drifts, and
cannot pass one vacuously. Its guides here are made-up pages whose "calls"
echo an answer and a status, so no server is needed; the real guides run in
tests/integration/test_guides.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.guide_runner import GUIDE_MARK, GuideError, parse, run

PAGE = Path("guide.md")
FENCE = "```"


def page(*blocks: str, language: str = "sh", marked: bool = True) -> str:
    body = "\n\n".join(f"{FENCE}{language}\n{block.strip()}\n{FENCE}" for block in blocks)
    return f"# A guide\n\n{GUIDE_MARK if marked else ''}\n\n{body}\n"


def answered(status: int, *codes: int) -> str:
    """A shell command printing what the guides' `call` prints: the body, then the status."""
    errors = ", ".join(f'{{"error": {code}}}' for code in codes)
    body = f'{{"errors": [{errors}]}}' if codes else '{"data": {}}'
    return f"echo '{body}'; echo {status}"


def run_page(text: str) -> int:
    return run(parse(PAGE, text), api="http://127.0.0.1:9")


# ------------------------------------------------------------------ grammar

@pytest.mark.parametrize(("line", "status", "codes"), [
    ("# -> 200", 200, ()),
    ('# -> 201 {"data": {"id": "whk_01J..."}}   (keep the secret)', 201, ()),
    ("# -> 404 15070 Refund not found.", 404, (15070,)),
    ("# -> 409 109   (the order is refunded)", 409, (109,)),
    ("# -> 400 [15010 Invalid field value: email, 15010 ...: description]", 400, (15010, 15010)),
    ("# -> 400 [15010 status, 15100]", 400, (15010, 15100)),
])
def test_a_check_line_says_a_status_and_for_errors_their_codes(line, status, codes):
    guide = parse(PAGE, page(f"{answered(200)}\n{line}"))
    assert [(s.expect.status, s.expect.codes) for s in guide.steps] == [(status, codes)]


@pytest.mark.parametrize("line", [
    '# -> {"token": "eyJ..."}',          # no status
    "# -> SO-3001-R1 35.42",             # no status
    "# -> 400",                          # an error without its code
    "# -> 404 Refund not found.",        # the message is not the code
    "# -> 400 [15010 email, status]",    # an entry without a code
    "# -> 400 [15010 email",             # an unclosed list
    "# -> 99 ok",                        # not an HTTP status
])
def test_a_check_line_the_runner_cannot_read_fails(line):
    with pytest.raises(GuideError, match="->"):
        parse(PAGE, page(f"{answered(200)}\n{line}"))


def test_a_check_with_no_command_before_it_fails():
    with pytest.raises(GuideError, match="no command before it"):
        parse(PAGE, page(f"{answered(200)}\n# -> 200\n# the 11th endpoint of a merchant:\n# -> 400 15180"))


def test_a_guide_that_checks_nothing_fails():
    with pytest.raises(GuideError, match="checks nothing"):
        parse(PAGE, page(answered(200)))


@pytest.mark.parametrize("text", [
    page(f"{answered(200)}\n# -> 200", marked=False),            # a page that is not a guide
    page(f"{answered(200)}\n# -> 200", language="text"),         # a block that does not run
    f"{GUIDE_MARK}\n\n# -> 200 outside any block\n",
])
def test_a_check_line_that_would_never_run_fails(text):
    with pytest.raises(GuideError, match="never checked"):
        parse(PAGE, text)


def test_only_sh_blocks_after_the_mark_run():
    text = (f"{FENCE}sh\nmake run\n{FENCE}\n\n{GUIDE_MARK}\n\n{FENCE}json\n{{\"a\": 1}}\n{FENCE}\n\n"
            f"{FENCE}sh\n{answered(200)}\n# -> 200\n{FENCE}\n")
    assert [step.commands for step in parse(PAGE, text).steps] == [answered(200)]


# ------------------------------------------------------------------ running

def test_seed_004_s_errors_body_carries_its_code_for_each_message():
    seed004 = """echo '{"errors": ["Order not found"], "code": 15060}'; echo 404"""
    assert run_page(page(f"{seed004}\n# -> 404 15060 Order not found")) == 1
    with pytest.raises(GuideError, match=r"error codes \(15060,\), the guide says \[15070\]"):
        run_page(page(f"{seed004}\n# -> 404 15070"))


def test_a_guide_whose_calls_answer_what_it_says_passes():
    text = page(f"ID=rf_1\n{answered(200)}\n# -> 200 created", f'echo "$ID"\n{answered(400, 15010, 15010)}\n'
                                                               "# -> 400 [15010 email, 15010 amount]")
    assert run_page(text) == 2


@pytest.mark.parametrize(("block", "complaint"), [
    (f"{answered(200)}\n# -> 201", "answered 200, the guide says 201"),
    (f"{answered(404, 15060)}\n# -> 404 15070", r"error codes \(15060,\), the guide says \[15070\]"),
    (f"{answered(400, 15010)}\n# -> 400 [15010 email, 15010 amount]", "error codes"),
    (f"{answered(200, 15010)}\n# -> 200", "carrying errors"),
    (f"{answered(200)}; {answered(200)}\n# -> 200", "2 statuses printed for one"),
    ("echo nothing\n# -> 200", "0 statuses printed"),
    (f"{answered(200)}\n# -> 200\n{answered(200)}", "no `# ->` line checks"),
    (f"false\n{answered(200)}\n# -> 200", "a command failed"),
    (f"echo $UNSET_IN_THIS_GUIDE\n{answered(200)}\n# -> 200", "a command failed"),
    (f"sleep 30 &\n{answered(200)}\n# -> 200", "left background jobs running"),
])
def test_a_guide_that_drifted_fails(block, complaint):
    with pytest.raises(GuideError, match=complaint):
        run_page(page(block))


def test_each_guide_runs_in_a_shell_of_its_own():
    run_page(page(f"export LEFT_BEHIND=1\n{answered(200)}\n# -> 200"))
    with pytest.raises(GuideError, match="a command failed"):
        run_page(page(f"echo $LEFT_BEHIND\n{answered(200)}\n# -> 200"))
