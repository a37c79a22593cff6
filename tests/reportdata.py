"""Fixed reports for renderer and schema tests: every status, visibility and optional part.

A plain module rather than fixtures so any test can build a variant with ``dataclasses.replace``.
Values are constant (no clock, no tmp paths) so the golden HTML never needs normalizing.
"""

from __future__ import annotations

from grader.results import CheckResult, Isolation, Report, ReportStatus, Status

_STATEMENT = """\
# Hello routes

Write a Flask app in `app.py` with two routes:

1. `GET /` returns `Hello, world!`
2. `GET /greet/<name>` returns JSON: `{"greeting": "Hello, <name>!"}`

```python
@app.get("/")
def index():
    ...
```

See the [Flask quickstart](https://flask.palletsprojects.com/quickstart/).
"""


def sample_report() -> Report:
    """Graded: passed, failed, error and timeout checks, hidden ones, output and a warning."""
    return Report(
        exercise={
            "slug": "hello-routes",
            "title": "Hello routes",
            "version": "1.2",
            "statement": _STATEMENT,
        },
        submission={
            "path": "submissions/alice/hello-routes",
            "sha256": "3f" * 32,
            "files": ["app.py", "templates/index.html"],
        },
        status=ReportStatus.GRADED,
        score=4.5,
        max_score=10.0,
        checks=[
            CheckResult(
                id="index_ok",
                title="GET / returns 200 and the greeting",
                status=Status.PASSED,
                score=2.0,
                points=2.0,
                message="",
                visibility="visible",
                duration_s=0.012,
            ),
            CheckResult(
                id="greet_json",
                title="GET /greet/<name> returns JSON",
                status=Status.FAILED,
                score=0.0,
                points=3.0,
                message="expected Content-Type application/json, got text/html; charset=utf-8\n"
                "expected body {'greeting': 'Hello, Ada!'}, got 'Hello Ada'",
                visibility="visible",
                duration_s=0.034,
                output="DEBUG greet called with Ada\n",
                topic="json",
            ),
            CheckResult(
                id="greet_escape",
                title="Names are escaped in HTML",
                status=Status.PASSED,
                score=1.0,
                points=1.0,
                message="",
                visibility="hidden",
                duration_s=0.02,
                topic="security",
            ),
            CheckResult(
                id="post_rejected",
                title="POST / is rejected with 405",
                status=Status.ERROR,
                score=0.0,
                points=1.5,
                message="your app raised ZeroDivisionError: division by zero (app.py line 18)",
                visibility="after_due_date",
                duration_s=0.05,
                output='Traceback (most recent call last):\n  File "app.py", line 18, in index\n'
                "ZeroDivisionError: division by zero\n",
            ),
            CheckResult(
                id="slow_route",
                title="GET /slow answers within the limit",
                status=Status.TIMEOUT,
                score=0.0,
                points=1.0,
                message="no response within 2 s",
                visibility="hidden",
                duration_s=2.0,
            ),
            CheckResult(
                id="not_found",
                title="Unknown paths return 404",
                status=Status.PASSED,
                score=1.5,
                points=1.5,
                message="",
                visibility="after_published",
                duration_s=0.008,
            ),
        ],
        duration_s=3.21,
        grader={"version": "0.1.0", "python": "3.12.3", "flask": "3.1.0"},
        isolation=Isolation(
            mode="process",
            layers={
                "namespaces": False,
                "network": False,
                "rlimits": True,
                "seccomp": False,
                "tmp_home": True,
            },
            warnings=[
                "user namespaces are unavailable: the submission can reach the network and read "
                "files the grader user can read"
            ],
        ),
        output=" * Serving Flask app 'app'\nloading config from instance/\n" + "x" * 80 + "\n",
        output_truncated=True,
        created_at="2024-05-01T12:00:00+00:00",
    )


def error_report() -> Report:
    """A second exercise whose submission never loaded: no checks, a reason, and the load output."""
    return Report(
        exercise={
            "slug": "json-todo",
            "title": "JSON to-do API",
            "version": "2.0",
            "statement": "Build a **to-do** API with `GET /todos` and `POST /todos`.",
        },
        submission={"path": "submissions/bob/json-todo", "sha256": "a1" * 32, "files": ["app.py"]},
        status=ReportStatus.ERROR,
        score=0.0,
        max_score=8.0,
        checks=[],
        duration_s=0.41,
        grader={"version": "0.1.0"},
        isolation=Isolation(
            mode="namespaces", layers={"namespaces": True, "network": True, "rlimits": True}
        ),
        message="SyntaxError at app.py line 7: expected ':'",
        output='  File "app.py", line 7\n    def create_todo()\n                     ^\n'
        "SyntaxError: expected ':'\n",
        created_at="2024-05-01T12:05:00+00:00",
    )


def with_fault(report: Report, index: int, status: Status, message: str) -> Report:
    """``report`` with check ``index`` turned into a fault (typed, as the runner sets it): incomplete."""
    from dataclasses import replace

    checks = list(report.checks)
    checks[index] = replace(checks[index], status=status, score=0.0, message=message)
    return replace(report, checks=checks, status=ReportStatus.INCOMPLETE,
                   score=sum(c.score for c in checks), message="not graded: ...")
