"""The quiz kind: answers in YAML or JSON scored against a hidden key, with feedback that names the topic to
revisit and never the right answer; malformed files are reports with status error, not crashes."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXERCISES
from jsonschema import Draft202012Validator
from test_exercises import expectation, failing

from grader.cli import cli
from grader.errors import GraderError, SpecError
from grader.grading import Grader
from grader.quiz import MAX_ANSWERS_BYTES
from grader.render.html import render_html
from grader.results import Report, ReportStatus, Status, report_schema, to_json
from grader.sandbox import Submission
from grader.spec import Exercise, load_exercise
from grader.validate import validate_exercise

QUIZ = EXERCISES / "quiz-request-response"
RIGHT_CHOICES = {"q1": "request.json", "q2": "return jsonify(data), 201", "q3": "request.args"}


@pytest.fixture(scope="module")
def quiz() -> Exercise:
    return load_exercise(QUIZ)


def answers(text: str, name: str = "answers.yaml") -> Submission:
    data = text.encode()
    return Submission(path=Path(name), files=((name, data),), sha256=hashlib.sha256(data).hexdigest())


def valid(report: Report) -> Report:
    Draft202012Validator(report_schema()).validate(json.loads(to_json(report)))
    return report


def test_spec_holds_the_questions_not_the_key(quiz: Exercise) -> None:
    assert quiz.kind == "quiz"
    assert [q.id for q in quiz.questions] == ["q1", "q2", "q3"] == [c.id for c in quiz.checks]
    assert all(len(q.choices) == 4 and q.topic for q in quiz.questions)
    assert {c.visibility for c in quiz.checks} == {"hidden"}
    spec = (QUIZ / "exercise.yaml").read_text()
    assert "key" not in spec.split("questions:")[1].lower()


@pytest.mark.parametrize("example", sorted((QUIZ / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_grade_as_declared(example: Path, quiz: Exercise, grader_session: Grader) -> None:
    kind, fails = expectation(example)
    report = valid(grader_session.grade(quiz, example))
    if kind == "error":
        assert report.status is ReportStatus.ERROR and report.score == 0 and report.message
    elif kind == "full":
        assert report.score == report.max_score == 3
    else:
        assert report.status is ReportStatus.GRADED and failing(report) == fails


def test_solution_full_and_starter_blank(quiz: Exercise, grader_session: Grader) -> None:
    reports = grader_session.grade_many(quiz, {"solution": quiz.solution_dir, "starter": quiz.starter_dir})
    assert reports["solution"].score == 3
    starter = valid(reports["starter"])
    assert starter.status is ReportStatus.GRADED and starter.score == 0
    assert [c.message for c in starter.checks] == ["no answer"] * 3


@pytest.mark.parametrize(("name", "text"), [
    ("answers.yaml", "q1: A\nq2: B\nq3: C\n"),
    ("answers.yaml", "Q1: a\n' q2 ': '  b '\nq3: \"c\"\n"),
    ("answers.yml", "{q1: A, q2: B, q3: C}"),
    ("answers.json", '{"q1": "A", "q2": "B", "q3": "C"}'),
    ("answers.json", '{\n\t"q1": "a",\n\t"q2": "b",\n\t"q3": "c"\n}\n'),  # tabs: JSON, not YAML
    ("answers.yaml", "\ufeffq1: A\r\nq2: B\r\nq3: C\r\n"),  # a BOM and CRLF, as some editors write
], ids=["yaml", "case-and-spaces", "yaml-flow", "json", "json-with-tabs", "bom-crlf"])
def test_all_right_in_every_form(name: str, text: str, quiz: Exercise, grader_session: Grader) -> None:
    report = valid(grader_session.grade(quiz, answers(text, name)))
    assert report.status is ReportStatus.GRADED, report.message
    assert report.score == 3 and all(c.status is Status.PASSED for c in report.checks)


def test_answers_from_files_and_folders(tmp_path: Path, quiz: Exercise, grader_session: Grader) -> None:
    (tmp_path / "answers.json").write_text('{"q1": "A", "q2": "D", "q3": "C"}')
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    (folder / "answers.yaml").write_text("q1: A\nq2: B\n")
    by_file = grader_session.grade(quiz, tmp_path / "answers.json")
    by_folder = grader_session.grade(quiz, folder)
    assert (by_file.score, failing(by_file)) == (2, {"q2"})
    assert (by_folder.score, failing(by_folder)) == (2, {"q3"})
    assert by_folder.checks[2].message == "no answer"


def test_wrong_answer_names_the_topic_not_the_answer(quiz: Exercise, grader_session: Grader) -> None:
    report = valid(grader_session.grade(quiz, answers("q1: D\nq2: A\nq3: D\n")))
    assert report.score == 0
    for check, question in zip(report.checks, quiz.questions, strict=True):
        assert check.status is Status.FAILED
        assert question.topic in check.message and check.topic == question.topic
    page, data = render_html(report), to_json(report)
    for right in RIGHT_CHOICES.values():
        assert right not in page and right not in data


def _fixed(report: Report) -> Report:
    """The parts of a report that differ between two runs whatever the key: times and the exercise hash."""
    return replace(report, created_at="T", duration_s=0.0, exercise={**report.exercise, "version": "V"})


def test_report_is_the_same_whatever_the_key(tmp_path: Path, grader_session: Grader) -> None:
    # If a report for wrong answers leaked anything about the key, it would change when the key changes.
    other = tmp_path / "quiz-request-response"
    shutil.copytree(QUIZ, other)
    (other / "key.yaml").write_text("q1: B\nq2: C\nq3: A\n")
    sub = answers("q1: D\nq2: D\nq3: D\n")
    real = _fixed(grader_session.grade(load_exercise(QUIZ), sub))
    moved = _fixed(grader_session.grade(load_exercise(other), sub))
    assert real.score == moved.score == 0
    assert to_json(real) == to_json(moved)
    assert render_html(real) == render_html(moved)


MALFORMED = [
    ("answers.yaml", "q1: A\n  q2: B\n- q3", "is not valid YAML or JSON at line"),
    ("answers.json", '{"q1": "A",', "is not valid YAML or JSON"),
    ("answers.yaml", "- A\n- B\n- C\n", "must map each question to a letter, like `q1: A`; it holds a list"),
    ("answers.yaml", "ABC\n", "it holds a piece of text"),
    ("answers.yaml", "42\n", "it holds a number"),
    ("answers.yaml", "", "answers.yaml is empty"),
    ("answers.yaml", "# nothing yet\n", "answers.yaml is empty"),
    ("answers.yaml", "q1: A\nq4: B\n", "unknown question `q4` (the questions are q1, q2, q3)"),
    ("answers.yaml", "q 2: B\n", "unknown question `q 2` (did you mean `q2`?)"),
    ("answers.yaml", "question1: A\n", "unknown question `question1`"),
    ("answers.yaml", "1: A\n", "unknown question `1`"),
    ("answers.yaml", "q1: A\nQ1: B\n", "question `q1` is answered twice"),
    ("answers.yaml", "q1: AB\n", "the answer to `q1` must be one letter, A, B, C or D; got 'AB'"),
    ("answers.yaml", "q1: E\n", "must be one letter, A, B, C or D; got 'E'"),
    ("answers.yaml", "q1: 1\n", "got 1"),
    ("answers.yaml", "q1: yes\n", "got True"),
    ("answers.yaml", "q1: [A, B]\n", "got a list"),
    ("answers.yaml", "q1: {pick: A}\n", "got a dict"),
    ("answers.yaml", "q1: &x [*x]\n", "got a list"),  # a list that holds itself
    ("answers.yaml", "[" * 5000 + "]" * 5000, "is not valid YAML or JSON"),
    ("answers.yaml", "q1: A\n" + "#" * MAX_ANSWERS_BYTES, "may be at most 64 KB"),
    ("answers.yaml", b"q1: \xff\n", "is not UTF-8 text"),
]


@pytest.mark.parametrize(("name", "content", "message"), MALFORMED,
                         ids=[f"{i}-{m.split()[0]}" for i, (_, _, m) in enumerate(MALFORMED)])
def test_malformed_answers_are_an_error_report(name: str, content: str | bytes, message: str, quiz: Exercise,
                                               grader_session: Grader) -> None:
    data = content.encode() if isinstance(content, str) else content
    sub = Submission(path=Path(name), files=((name, data),), sha256=hashlib.sha256(data).hexdigest())
    report = valid(grader_session.grade(quiz, sub))
    assert report.status is ReportStatus.ERROR and report.score == 0
    assert message in report.message, report.message
    assert all(c.status is Status.ERROR and c.message for c in report.checks)


def test_an_oversized_file_is_not_read(tmp_path: Path, quiz: Exercise, grader_session: Grader) -> None:
    big = tmp_path / "answers.yaml"
    big.write_text("q1: A\n" + " " * (10 * MAX_ANSWERS_BYTES))
    report = valid(grader_session.grade(quiz, big))
    assert report.status is ReportStatus.ERROR and "may be at most 64 KB" in report.message


def test_a_folder_without_an_answers_file(tmp_path: Path, quiz: Exercise, grader_session: Grader) -> None:
    (tmp_path / "a.txt").write_text("q1: A")
    (tmp_path / "b.txt").write_text("q2: B")
    report = grader_session.grade(quiz, tmp_path)
    assert report.status is ReportStatus.ERROR and "no answers file" in report.message


def test_cli_grade_and_check(tmp_path: Path) -> None:
    sub = tmp_path / "answers.json"
    sub.write_text('{"q1": "A", "q2": "B"}')
    result = CliRunner().invoke(cli, ["grade", str(QUIZ), str(sub), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "quiz-request-response: 2/3 (graded)" in result.output
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["isolation"]["mode"].startswith("none needed")
    checked = CliRunner().invoke(cli, ["check", str(QUIZ), str(sub)])
    assert checked.exit_code == 0 and "3 more checks are hidden" in checked.output


# -- the spec and the key: the author's mistakes are precise grader errors

def _spec_with(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "quiz-request-response"
    shutil.copytree(QUIZ, root)
    spec = root / "exercise.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))
    return root


SPEC_ERRORS = [
    ("kind: quiz\n", "", "`questions` is only for quiz exercises"),
    ("kind: quiz\n", "kind: flask\n", "`questions` is only for quiz exercises"),
    ("visibility: hidden}", "visibility: hidden, test: test_q.py::test_q1}",
     "`checks[0].test`: a quiz check has no `test`; it is graded from the answer key (key.yaml)"),
    ("{id: q1,", "{id: q9,", "`checks[0].id` 'q9' is not the id of a question"),
    ("      D: \"`request.query`\"", "      E: \"`request.query`\"", "`questions[0].choices`"),
    ("    topic: \"the query string", "    subject: \"the query string", "unknown key `subject` in `questions[2]`"),
    ("questions:\n", "questionz:\n", "unknown key `questionz`"),
]


@pytest.mark.parametrize(("old", "new", "message"), SPEC_ERRORS)
def test_quiz_spec_errors_are_precise(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        load_exercise(_spec_with(tmp_path, old, new))
    assert message in err.value.message, err.value.message


def test_a_question_without_a_check(tmp_path: Path) -> None:
    root = _spec_with(tmp_path, '  - {id: q3, title: "Q3: where the query string\'s parameters are", points: 1, '
                      'visibility: hidden}\n', "")
    with pytest.raises(SpecError, match="question `q3` has no entry under `checks`"):
        load_exercise(root)


def test_a_flask_check_still_needs_a_test(tmp_path: Path) -> None:
    root = tmp_path / "auth-failed"
    shutil.copytree(EXERCISES / "auth-failed", root)
    spec = root / "exercise.yaml"
    spec.write_text(spec.read_text().replace("    test: test_visible.py::test_status_401\n", ""))
    with pytest.raises(SpecError, match=r"`checks\[0\]` is missing the required key `test`"):
        load_exercise(root)


@pytest.mark.parametrize(("key", "finding"), [
    (None, "the quiz quiz-request-response has no answer key"),
    ("q1: A\nq2: B\n", "`q3` must be A, B, C or D; got None"),
    ("q1: A\nq2: B\nq3: C\nq4: D\n", "`q4` is not a question of quiz-request-response"),
    ("q1: A\nq2: B\nq3: E\n", "`q3` must be A, B, C or D; got 'E'"),
])
def test_validate_checks_the_key(tmp_path: Path, key: str | None, finding: str, grader_session: Grader) -> None:
    root = tmp_path / "quiz-request-response"
    shutil.copytree(QUIZ, root)
    if key is None:
        (root / "key.yaml").unlink()
    else:
        (root / "key.yaml").write_text(key)
    problems = "\n".join(validate_exercise(str(root), grader_session, tmp_path).problems())
    assert f"answer key complete: {root / 'key.yaml'}: {finding}" in problems
    with pytest.raises(GraderError):
        grader_session.grade(load_exercise(root), QUIZ / "solution")


def test_validate_passes_on_the_quiz(grader_session: Grader) -> None:
    result = validate_exercise(str(QUIZ), grader_session)
    assert result.ok, result.problems()
    assert [f.name for f in result.findings] == ["spec valid", "answer key complete", "solution scores full marks",
                                                 "starter loads and does not score full"]
