"""``grader new SLUG``: a complete, working exercise to edit, rather than a blank page.

The scaffold is a small exercise (GET /hello?name=X) that passes ``grader validate`` as created, so the author
starts from something green and keeps it green while replacing the route, the checks and the statement.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from .errors import GraderError

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # the same pattern as the spec schema's `slug`

_SPEC = """\
schema_version: 1
slug: $slug
title: Greet someone named in the query string
topics: [request.args, status codes, jsonify]
statement: |
  Write a Flask app in `app.py` with one route, `GET /hello`.

  - With a `name` in the query string, answer **200** with the JSON `{"greeting": "Hello <name>"}`.
  - Without one, answer **400** with a JSON object holding a non-empty `error` message.

  ```console
  $$ curl 'http://localhost:5000/hello?name=ada'
  {"greeting": "Hello ada"}
  ```
entry: app.py
checks:
  - id: greets-by-name
    title: 'GET /hello?name=ada answers 200 and {"greeting": "Hello ada"}'
    points: 2
    visibility: visible
    test: test_visible.py::test_greets_by_name
  - id: greets-anyone
    title: GET /hello greets other names
    points: 2
    visibility: hidden
    test: test_hidden.py::test_greets_anyone
  - id: needs-a-name
    title: GET /hello without a name answers 400 with a JSON error
    points: 1
    visibility: hidden
    test: test_hidden.py::test_needs_a_name
"""

_SOLUTION = '''\
"""Reference solution for $slug."""

from flask import Flask, request

app = Flask(__name__)


@app.get("/hello")
def hello():
    name = request.args.get("name")
    if not name:
        return {"error": "say who to greet: /hello?name=..."}, 400
    return {"greeting": f"Hello {name}"}
'''

_STARTER = '''\
"""$slug: GET /hello?name=ada answers {"greeting": "Hello ada"}; without a name, 400 and {"error": "..."}.

Run it with `flask --app app run` and try:  curl 'http://localhost:5000/hello?name=ada'
"""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    # TODO: read the name with request.args.get("name").
    # TODO: no name: return {"error": "..."}, 400. Otherwise: return {"greeting": f"Hello {name}"}.
    return {"error": "not implemented yet"}, 501
'''

_VISIBLE = '''\
"""Checks you can run yourself: GET /hello greets the name in the query string."""

from grader.checks import expect_json, expect_status


def test_greets_by_name(client):
    # "With a `name` in the query string, answer **200** with the JSON `{"greeting": "Hello <name>"}`."
    resp = client.get("/hello?name=ada")
    expect_status(resp, 200)
    expect_json(resp, {"greeting": "Hello ada"})
'''

_HIDDEN = '''\
"""Hidden checks: other names, and a missing name.

Each check scores what its title names and looks at that only (here the `greeting` key, with
expect_json_key), so one mistake costs one check; a comment next to each case quotes the statement
sentence it covers."""

import pytest

from grader.checks import expect_json_error, expect_json_key, expect_status


# "With a `name` in the query string, answer **200** with the JSON `{"greeting": "Hello <name>"}`": other
# names, with spaces, accents and characters HTML would escape, which come back as they were sent.
@pytest.mark.parametrize("name", ["Bob", "Zoë", "dana 42", "O'Brien & <co>"])
def test_greets_anyone(client, name):
    resp = client.get("/hello", query_string={"name": name})
    expect_status(resp, 200)
    expect_json_key(resp, "greeting", f"Hello {name}")


def test_needs_a_name(client):
    # "Without one, answer **400** with a JSON object holding a non-empty `error` message."
    expect_json_error(client.get("/hello"), 400)
'''

_FULL_EXAMPLE = '''\
# expect: full
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    if name == "":
        return jsonify(error="no name"), 400
    return jsonify(greeting="Hello " + name)
'''

_PARTIAL_EXAMPLE = '''\
# expect: partial (fails: needs-a-name)
from flask import Flask, request

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"greeting": f"Hello {request.args.get('name')}"}
'''

_HARDCODED_EXAMPLE = '''\
# expect: partial (fails: greets-anyone)
# Copies the statement's example answer instead of reading the name: one mistake, one check.
from flask import Flask, request

app = Flask(__name__)


@app.get("/hello")
def hello():
    if not request.args.get("name"):
        return {"error": "no name"}, 400
    return {"greeting": "Hello ada"}
'''

FILES: dict[str, str] = {
    "exercise.yaml": _SPEC,
    "solution/app.py": _SOLUTION,
    "starter/app.py": _STARTER,
    "checks/test_visible.py": _VISIBLE,
    "checks/test_hidden.py": _HIDDEN,
    "examples/reads-query-string.py": _FULL_EXAMPLE,
    "examples/no-400-without-name.py": _PARTIAL_EXAMPLE,
    "examples/hardcoded.py": _HARDCODED_EXAMPLE,
}


def new_exercise(slug: str, exercises_dir: Path) -> Path:
    """Create ``exercises_dir/slug`` from the scaffold; refuse a bad slug or an existing folder."""
    if not SLUG.match(slug):
        raise GraderError(f"`{slug}` is not a valid exercise slug",
                          tip="use lower-case letters, digits and single hyphens, e.g. `json-echo`")
    root = exercises_dir / slug
    if root.exists():
        raise GraderError(f"{root} already exists", tip="choose another slug, or edit that exercise")
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(slug=slug), encoding="utf-8")
    return root
