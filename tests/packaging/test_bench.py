"""The benchmark suite's pieces on one function, so `make bench` cannot rot
between runs (CI also runs `make bench QUICK=1`). No timing is asserted."""

from bench import cold
from bench.__main__ import BEGIN, END, write_doc


def test_a_handler_imports_on_the_lambda_like_path_alone():
    spec = cold.function_specs()["GetRefundFunction"]
    with cold.Site() as site:
        env = cold.function_env(spec, site)
        assert env["TABLE_NAME"] == "bench-RefundsTable"  # the template's !Ref, with a dummy value
        assert cold.cold_import_ms(spec, site, runs=1) > 0  # raises when the import fails
        breakdown = cold.import_breakdown(spec, site)
    assert "refunds_core" in breakdown and "pytest" not in breakdown


def test_the_layer_counts_our_dependencies_not_the_runtimes_boto3():
    layer = cold.layer_sizes()
    assert {"pydantic-core", "aws-lambda-powertools", "refunds_core (ours)"} <= layer["packages"].keys()
    assert "botocore" in layer["runtime_provided"] and "botocore" not in layer["packages"]
    assert layer["bytes"] == sum(layer["packages"].values())


def test_the_section_is_replaced_and_the_load_test_kept(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Load test\n\nfigures\n")
    write_doc(doc, f"{BEGIN}\n## Ours\n\nfirst\n{END}")
    write_doc(doc, f"{BEGIN}\n## Ours\n\nsecond\n{END}")
    text = doc.read_text()
    assert "second" in text and "first" not in text and text.count(BEGIN) == 1
    assert text.index(END) < text.index("## Load test\n\nfigures\n")
