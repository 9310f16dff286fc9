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


def test_a_function_no_one_mapped_gets_the_family_its_route_says_or_none():
    """Functions added by others need one line in FAMILIES or none: the family
    comes from the route, and one with no reference is reported unbudgeted."""
    from bench import first_request
    from localrun.template import Route

    routes = [Route("GET", "/v2/refunds/{id}", "NewGet"), Route("GET", "/v2/refunds", "NewList"),
              Route("POST", "/v2/refunds", "NewCreate"), Route("PUT", "/v2/orders/{id}", "NewPut"),
              Route("PATCH", "/v2/refunds/{id}", "NewPatch"), Route("DELETE", "/v2/keys/{id}", "NewDelete")]
    assert {route.function: first_request.family_of(route.function, routes) for route in routes} == {
        "NewGet": ("get", True), "NewList": ("list", True), "NewCreate": ("create", True),
        "NewPut": ("create", True), "NewPatch": ("decision", True), "NewDelete": ("decision", True)}
    assert first_request.family_of("OpenApiFunction", routes) == (None, False)
    assert set(first_request.REPRESENTATIVES) == {family for family in first_request.FAMILIES.values() if family}


def test_the_first_request_table_reports_what_has_no_reference_as_unbudgeted():
    from bench import first_request
    from bench.__main__ import render_first_request

    sample = {"wall_ms": 500.0, "wall_iqr_ms": [450.0, 550.0], "cpu_ms": 300.0, "samples": 3}
    ratio = {"median": 1.2, "iqr": [1.1, 1.3]}
    figures = first_request.Figures(runs=3, functions={
        "Measured": {"family": "get", "inferred": True, "init": sample, "request": sample, "init_ratio": ratio,
                     "request_ratio": ratio, "init_cpu_ratio": ratio, "request_cpu_ratio": ratio},
        "NoFamily": {"family": None, "inferred": False, "init": sample, "request": sample},
        "Broken": {"family": "create", "inferred": False, "failure": "answered 500"}},
        references={"get": {"serves": "GetRefundFunction", "init": sample, "request": sample}})
    text = "\n".join(render_first_request(figures))
    assert "| Measured | get (inferred) | 500 (450-550) | 1.20 (1.10-1.30) | **miss** |" in text
    assert "Unbudgeted: NoFamily (init 500 ms, request 500 ms): no family" in text
    assert "Unbudgeted: Broken: answered 500." in text
