"""Spec validation: a table of broken specs and the one message each must give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from grader.errors import SpecError
from grader.spec import load_exercise, resolve_exercise

PROBE = ROOT / "tests" / "fixtures" / "probe"


@pytest.fixture
def probe_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "probe"
    shutil.copytree(PROBE, dest)
    return dest


def edit(folder: Path, old: str, new: str) -> None:
    spec = folder / "exercise.yaml"
    text = spec.read_text()
    assert old in text, old
    spec.write_text(text.replace(old, new, 1))


BAD_SPECS = [
    # (text to replace, replacement, expected message fragment, expected tip fragment)
    ("title: Probe", "titel: Probe", "unknown key `titel`", "did you mean `title`?"),
    ("  memory_mb: 128", "  memory: 128", "unknown key `memory` in `limits`", "did you mean `memory_mb`?"),
    ("visibility: visible", "visibility: public", "`checks[0].visibility` is 'public'",
     "use one of: visible, hidden, after_due_date, after_published"),
    ("points: 2,", "points: -2,", "`checks[0].points`", None),
    ("test: test_probe.py::test_cookies", "test: test_probe.py::test_cookie", "check `cookies` maps to "
     "test_probe.py::test_cookie, which is not a test in checks/", "did you mean `test_probe.py::test_cookies`?"),
    ("test: test_probe.py::test_cookies", "test: test_probe.py:test_cookies", "`checks[1].test` is",
     "FILE.py::test_name"),
    ("  - {id: binary", "  - {id: cookies", "`checks[5].id` 'cookies' repeats `checks[1].id`", None),
    ("slug: probe", "slug: other", "slug `other` does not match the folder name `probe`", None),
    ("title: Probe exercise", "title: [Probe exercise",
     "exercise.yaml:4:7: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 3)",
     "indentation"),
    ("statement: |", "statment: |", "unknown key `statment`", "did you mean `statement`?"),
]


@pytest.mark.parametrize("old, new, message, tip", BAD_SPECS)
def test_bad_spec_gives_one_clear_message(probe_copy: Path, old: str, new: str, message: str,
                                          tip: str | None) -> None:
    edit(probe_copy, old, new)
    with pytest.raises(SpecError) as info:
        load_exercise(probe_copy)
    assert message in info.value.message
    assert str(probe_copy / "exercise.yaml") in info.value.message
    if tip:
        assert info.value.tip and tip in info.value.tip


@pytest.mark.parametrize(("old", "new", "what"), [
    # Looks broken, but is a block scalar: the statement's text, which may hold any characters.
    ("statement: |", "statement: |\n  broken: [", "statement"),
    ("schema_version: 1\n", "", "schema_version"),  # optional
])
def test_specs_that_only_look_wrong_load(probe_copy: Path, old: str, new: str, what: str) -> None:
    reference = load_exercise(PROBE)
    edit(probe_copy, old, new)
    ex = load_exercise(probe_copy)
    assert [c.id for c in ex.checks] == [c.id for c in reference.checks]
    if what == "statement":
        assert ex.statement.startswith("broken: [\n")
    else:
        assert ex.statement == reference.statement


def test_unmapped_test_is_an_error(probe_copy: Path) -> None:
    with (probe_copy / "checks" / "test_probe.py").open("a") as f:
        f.write("\n\ndef test_extra(client):\n    assert client.get('/').status_code == 404\n")
    with pytest.raises(SpecError, match=r"test test_probe.py::test_extra has no entry under `checks`"):
        load_exercise(probe_copy)


def test_visible_and_hidden_checks_cannot_share_a_file(probe_copy: Path) -> None:
    edit(probe_copy, "points: 1, test: test_probe.py::test_cookies", "points: 1, visibility: visible, "
         "test: test_probe.py::test_cookies")
    with pytest.raises(SpecError, match="test_probe.py mixes visible and non-visible checks"):
        load_exercise(probe_copy)


def test_checks_file_with_syntax_error(probe_copy: Path) -> None:
    (probe_copy / "checks" / "test_probe.py").write_text("def test_x(client:\n")
    with pytest.raises(SpecError, match=r"test_probe.py:1: the checks file has a syntax error"):
        load_exercise(probe_copy)


def test_missing_spec_and_unknown_slug(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no exercise spec found"):
        load_exercise(tmp_path)
    (tmp_path / "login-greeting").mkdir()
    with pytest.raises(SpecError, match="exercise `login-greting` not found") as info:
        resolve_exercise("login-greting", tmp_path)
    assert info.value.tip == "did you mean `login-greeting`?"


def test_spec_not_a_mapping(probe_copy: Path) -> None:
    (probe_copy / "exercise.yaml").write_text("- just\n- a list\n")
    with pytest.raises(SpecError, match="the spec must be a mapping"):
        load_exercise(probe_copy)


def test_version_changes_with_checks(probe_copy: Path) -> None:
    before = load_exercise(probe_copy).version
    with (probe_copy / "checks" / "test_probe.py").open("a") as f:
        f.write("\n# a comment changes what is graded? no, but it changes the files: regrade to be safe\n")
    assert load_exercise(probe_copy).version != before
