"""Helpers for the portal's tests: an app on a temporary SQLite file with a demo course, and a browser-like
client that logs in and sends each form's CSRF token (over https, as the Secure cookie requires)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from grader.portal import PortalConfig, create_app
from grader.portal.demo import DEMO_PASSWORD, seed_demo

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
BASE = "https://localhost"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def make_app(tmp: Path, *, exercises: Path = EXERCISES, db_url: str | None = None, **overrides: Any) -> Flask:
    config = PortalConfig(secret_key="test-secret", db_url=db_url or f"sqlite:///{tmp / 'portal.db'}",
                          exercises_dir=exercises, **overrides)
    app = create_app(config)
    app.config["TESTING"] = True
    seed_demo(app.extensions["grader_portal"].db, exercises)
    return app


class Browser:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, base_url=BASE, buffered=True, **kw)

    def token(self, page: str) -> str:
        html = self.get(page).get_data(as_text=True)
        m = _TOKEN.search(html)
        assert m, f"no CSRF token on {page}"
        return m.group(1) or m.group(2)

    def post(self, path: str, data: dict[str, Any] | None = None, *, form_page: str | None = None,
             csrf: bool = True, **kw: Any) -> TestResponse:
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token(form_page or path)
        headers = {"Referer": BASE + (form_page or path)}
        return self.client.post(path, data=data, base_url=BASE, headers=headers, **kw)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> TestResponse:
        return self.post("/login", {"username": username, "password": password})

    def submit(self, slug: str, code: str) -> TestResponse:
        return self.post(f"/exercises/{slug}/submit", {"code": code}, form_page=f"/exercises/{slug}")


def submission_id(resp: TestResponse) -> int:
    m = re.search(r"/submissions/(\d+)$", resp.headers.get("Location", ""))
    assert m, f"not a redirect to a submission: {resp.status} {resp.headers.get('Location')}"
    return int(m.group(1))
