"""``grader validate``: a good exercise passes; each way an exercise can be unfit is reported by name."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXERCISES

from grader.cli import cli
from grader.errors import GraderError
from grader.grading import Grader
from grader.mutants import mutants
from grader.validate import format_validation, validate_exercise

SOLUTION = '''\
from flask import Flask, request

app = Flask(__name__)


@app.get("/hello")
def hello():
    name = request.args.get("name")
    if name is None:
        return {"error": "say who to greet: /hello?name=..."}, 400
    return {"greeting": f"Hello {name}"}
'''
STARTER = '''\
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"error": "not implemented yet"}, 501
'''
VISIBLE = '''\
from grader.checks import expect_json, expect_status


def test_greets(client):
    resp = client.get("/hello?name=ada")
    expect_status(resp, 200)
    expect_json(resp, {"greeting": "Hello ada"})
'''
HIDDEN = '''\
from grader.checks import expect_status


def test_needs_name(client):
    expect_status(client.get("/hello"), 400)
'''
CHECKS = [("greets", "visible", "test_visible.py::test_greets"),
          ("needs-name", "hidden", "test_hidden.py::test_needs_name")]


def make_exercise(root: Path, slug: str = "demo", *, solution: str = SOLUTION, starter: str = STARTER,
                  hidden: str = HIDDEN, checks: list[tuple[str, str, str]] = CHECKS) -> Path:
    """A small exercise folder in ``root``: GET /hello?name=X greets X; no name is a 400."""
    ex = root / slug
    for folder in ("starter", "solution", "checks"):
        (ex / folder).mkdir(parents=True)
    entries = "".join(f"  - {{id: {cid}, title: check {cid}, points: 1, visibility: {vis}, test: '{test}'}}\n"
                      for cid, vis, test in checks)
    (ex / "exercise.yaml").write_text(f"schema_version: 1\nslug: {slug}\ntitle: Demo\nstatement: Greet.\n"
                                      f"checks:\n{entries}")
    (ex / "solution" / "app.py").write_text(solution)
    (ex / "starter" / "app.py").write_text(starter)
    (ex / "checks" / "test_visible.py").write_text(VISIBLE)
    (ex / "checks" / "test_hidden.py").write_text(hidden)
    return ex


def problems(path: Path, grader: Grader, runs: int = 2) -> str:
    return "\n".join(validate_exercise(str(path), grader, path.parent, runs=runs).problems())


@pytest.mark.slow
def test_good_exercise_validates(tmp_path: Path, grader_session: Grader) -> None:
    result = validate_exercise(str(make_exercise(tmp_path)), grader_session, tmp_path)
    assert result.ok, result.problems()
    assert [f.name for f in result.findings] == [
        "spec valid", "reference scores full marks", "starter loads and does not score full",
        "checks are deterministic", "every hidden check can fail", "wrong examples fail as declared",
        "no two checks always fail together"]
    assert result.mutants >= 3
    # The status mutant (400 -> 422) is what shows needs-name can fail, besides the starter.
    assert "status@L10: status 400 -> 422" in result.kills["needs-name"]


WRONG_EXAMPLE = '# expect: partial (fails: needs-name)\n' + SOLUTION.replace("if name is None", "if name == ''")


@pytest.mark.slow
def test_overlap_table_counts_checks_per_mistake_and_wrong_examples(tmp_path: Path, grader_session: Grader) -> None:
    ex = make_exercise(tmp_path)
    (ex / "examples").mkdir()
    (ex / "examples" / "no-name-crashes.py").write_text(WRONG_EXAMPLE)
    result = validate_exercise(str(ex), grader_session, tmp_path)
    assert result.ok, result.problems()
    # None == "" is False, so a missing name is greeted as "Hello None" instead of answering 400.
    assert result.mistakes["example no-name-crashes"] == ["needs-name"]
    assert "example no-name-crashes" in result.kills["needs-name"]
    assert all(len(fails) <= 2 for fails in result.mistakes.values())
    text = format_validation(result)
    assert "checks failed per single mistake (" in text and ", 1 wrong examples):" in text
    assert "      1 check " in text
    assert "✓ wrong examples fail as declared (1 example(s))" in text

    # A declaration that does not match what the example fails is a problem, named by file.
    (ex / "examples" / "no-name-crashes.py").write_text(WRONG_EXAMPLE.replace("needs-name", "greets"))
    text = problems(ex, grader_session)
    assert "examples/no-name-crashes.py declares it fails greets but fails needs-name" in text


@pytest.mark.slow
def test_checks_that_always_fail_together_are_flagged(tmp_path: Path, grader_session: Grader) -> None:
    # A second check of exactly the same property: every mistake that fails one fails the other.
    hidden = HIDDEN + '\n\ndef test_needs_name_again(client):\n    expect_status(client.get("/hello"), 400)\n'
    ex = make_exercise(tmp_path, hidden=hidden,
                       checks=[*CHECKS, ("needs-name-again", "hidden", "test_hidden.py::test_needs_name_again")])
    text = problems(ex, grader_session)
    assert ("no two checks always fail together: checks `needs-name` and `needs-name-again` always fail "
            "together") in text
    assert "`greets` and" not in text


@pytest.mark.slow
def test_reference_that_does_not_score_full(tmp_path: Path, grader_session: Grader) -> None:
    ex = make_exercise(tmp_path, solution=SOLUTION.replace("Hello {name}", "Hi {name}"))
    text = problems(ex, grader_session)
    assert "demo: reference scores full marks: 1/2" in text
    assert "`greets` failed" in text


@pytest.mark.slow
def test_starter_that_scores_full(tmp_path: Path, grader_session: Grader) -> None:
    text = problems(make_exercise(tmp_path, starter=SOLUTION), grader_session)
    assert "starter loads and does not score full: the starter scores full marks" in text


@pytest.mark.slow
def test_check_that_can_never_fail(tmp_path: Path, grader_session: Grader) -> None:
    hidden = HIDDEN + '\n\ndef test_x(client):\n    client.get("/")\n'
    ex = make_exercise(tmp_path, hidden=hidden, checks=[*CHECKS, ("x", "hidden", "test_hidden.py::test_x")])
    text = problems(ex, grader_session)
    assert ("check `x` never fails: no mutant of the reference, no wrong example and not the starter trips it; "
            "it may be testing nothing") in text
    assert "needs-name" not in text


@pytest.mark.slow
def test_non_deterministic_check(tmp_path: Path, grader_session: Grader) -> None:
    # Ten runs each of the reference and the starter: all twenty agree with probability 2**-19.
    hidden = HIDDEN + "\n\nimport random\n\n\ndef test_coin(client):\n    assert random.random() < 0.5\n"
    ex = make_exercise(tmp_path, hidden=hidden, checks=[*CHECKS, ("coin", "hidden", "test_hidden.py::test_coin")])
    text = problems(ex, grader_session, runs=10)
    assert "checks are deterministic: check `coin` is not deterministic" in text
    assert "`greets` is not" not in text and "`needs-name` is not" not in text


def test_broken_spec_is_a_finding_not_a_crash(tmp_path: Path, grader_session: Grader) -> None:
    ex = make_exercise(tmp_path)
    (ex / "exercise.yaml").write_text((ex / "exercise.yaml").read_text().replace("title: Demo", "titel: Demo"))
    text = problems(ex, grader_session)
    assert "demo: spec valid:" in text and "unknown key `titel`" in text and "did you mean `title`?" in text


@pytest.mark.slow
def test_cli_exits_1_with_the_problems(tmp_path: Path) -> None:
    make_exercise(tmp_path, "good")
    make_exercise(tmp_path, "lazy", starter=SOLUTION)
    result = CliRunner().invoke(cli, ["validate", "--exercises", str(tmp_path)])
    assert result.exit_code == 1  # a GraderError, which the CLI prints and turns into exit 1
    assert "ERROR validate found 1 problem(s)" in result.output
    assert "lazy: starter loads and does not score full" in result.output
    assert "✓ every hidden check can fail" in result.output and "✗ starter loads" in result.output
    assert "validated 2 exercise(s) in" in result.output


@pytest.mark.slow
def test_bundled_exercises_validate() -> None:
    result = CliRunner().invoke(cli, ["validate", "--exercises", str(EXERCISES)])
    assert result.exit_code == 0, result.output + (result.exception.format_message()
                                                  if isinstance(result.exception, GraderError) else "")
    # The overlap table, once per route exercise (a quiz has no mutants or wrong examples).
    routes = [p for p in EXERCISES.iterdir() if (p / "checks").is_dir()]
    assert result.output.count("checks failed per single mistake (") == len(routes) >= 11
    assert "✓ no two checks always fail together" in result.output


# -- the mutation operators, one small case each

OPERATOR_CASES = [
    ('return {"a": 1}, 401', "status", "return ({'a': 1}, 403)"),
    ("abort(404)", "status", "abort(400)"),
    ("r = make_response(body, 201)", "status", "r = make_response(body, 200)"),
    ('resp.headers["X-A"] = "1"', "header", "pass"),
    ('return "", 200, {"X-A": "1"}', "headers-dict", "return ('', 200, {})"),
    ('r.set_cookie("t", v, httponly=True)', "cookie", "r.set_cookie('t', v)"),
    ('x = {"msg": 1}', "key", "x = {'msg_': 1}"),
    ("return jsonify(theme=t)", "key", "return jsonify(theme_=t)"),
    ('n = request.args.get("n")', "source", "n = request.form.get('n')"),
    ("d = request.get_json(silent=True)", "get-json", "d = request.get_json()"),
    ("ok = a in b", "compare", "ok = a not in b"),
    ("n = name.lower()", "case", "n = name"),
    ('return f"Hi {n}"', "text", "return f'hI {n}'"),
]


@pytest.mark.parametrize(("line", "operator", "expected"), OPERATOR_CASES,
                         ids=[f"{op}-{i}" for i, (_, op, _) in enumerate(OPERATOR_CASES)])
def test_operator(line: str, operator: str, expected: str) -> None:
    source = f"def view():\n    {line}\n"
    found = [m for m in mutants(source) if m.name.startswith(operator + "@")]
    assert any(expected in m.source for m in found), [m.source for m in found]


def test_methods_mutants_only_touch_route_decorators() -> None:
    source = textwrap.dedent('''\
        @app.route("/x", methods=["POST", "PUT"])
        def view():
            return request.args.get("q")
        ''')
    names = [m.name for m in mutants(source)]
    assert "methods@L1: methods + GET" in names
    assert {"methods@L1: methods - POST", "methods@L1: methods - PUT"} <= set(names)
    assert not any("'/x'" in n for n in names), names  # a route's URL is not a JSON key
    assert "key@L3: key 'q' renamed" in names


def test_mutants_are_deterministic_distinct_and_compile() -> None:
    source = (EXERCISES / "theme-cookie" / "solution" / "app.py").read_text()
    first, second = mutants(source), mutants(source)
    assert first == second
    assert len({m.source for m in first}) == len(first) >= 10
    for m in first:
        compile(m.source, m.name, "exec")
