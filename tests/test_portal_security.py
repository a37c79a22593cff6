"""The portal's security, tested: cookies, CSRF, login rate limit, the upload cap, headers, who may see what
(every route as anonymous, student A, student B and instructor), no hidden check or solution on any page a
student can reach, and student code shown only escaped."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from portal_support import BASE, EXERCISES, Browser, make_app, submission_id
from sqlalchemy import select, update

from grader.grading import Grader
from grader.portal import jobs
from grader.portal.course import regrade
from grader.portal.models import Publication, Submission, User, utcnow
from grader.spec import load_exercise

SLUG = "login-greeting"
HOSTILE = '<script>alert("x")</script>\nfrom flask import Flask\napp = Flask(__name__)\nprint("<b>loud</b>")\n'


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, grader_session: Grader) -> tuple[Flask, dict[str, int]]:
    """One app with a graded submission by alice (hostile code) and one by bob."""
    app = make_app(tmp_path_factory.mktemp("portal"), login_limit="1000 per minute")  # many logins here
    ids = {}
    for user, code in (("alice", HOSTILE), ("bob", (EXERCISES / SLUG / "solution" / "app.py").read_text())):
        b = Browser(app)
        b.login(user)
        ids[user] = submission_id(b.submit(SLUG, code))
    db = app.extensions["grader_portal"].db
    for sid in ids.values():
        assert jobs.grade_job(db, grader_session, EXERCISES, sid, lambda _: None) == "recorded"
    with db.session(write=True) as s:  # a regrade of an exercise nobody handed in: a page to reach
        pub = s.scalars(select(Publication).where(Publication.slug == "auth-failed")).one()
        teacher = s.scalars(select(User).where(User.username == "teacher")).one()
        ids["regrade"] = regrade(s, pub, "all", teacher, utcnow()).id
    return app, ids


def as_user(app: Flask, user: str | None) -> Browser:
    b = Browser(app)
    if user:
        assert b.login(user).status_code == 302
    return b


def test_session_cookie_is_secure_httponly_samesite(world: tuple[Flask, dict[str, int]]) -> None:
    app, _ = world
    resp = Browser(app).login("alice")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_insecure_cookies_only_when_asked(tmp_path: Path) -> None:
    app = make_app(tmp_path, secure_cookies=False)
    cookie = next(c for c in Browser(app).login("alice").headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" not in cookie and "HttpOnly" in cookie


def test_passwords_are_argon2id_and_an_older_hash_is_replaced_at_login(tmp_path: Path) -> None:
    from argon2 import extract_parameters
    from werkzeug.security import generate_password_hash

    app = make_app(tmp_path)
    db = app.extensions["grader_portal"].db

    def stored(user: str) -> str:
        with db.session() as s:
            return s.scalars(select(User.password_hash).where(User.username == user)).one()

    params = extract_parameters(stored("alice"))  # made by seed_demo through create_user
    assert stored("alice").startswith("$argon2id$")
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)  # OWASP's minimum
    # A course that started on the first portal has Werkzeug scrypt hashes: they still log in, and are upgraded.
    with db.session(write=True) as s:
        s.execute(update(User).where(User.username == "bob")
                  .values(password_hash=generate_password_hash("demo-password", method="scrypt")))
    assert stored("bob").startswith("scrypt:")
    assert Browser(app).login("bob", "not-it").status_code == 200  # refused, and the old hash is kept
    assert stored("bob").startswith("scrypt:")
    assert Browser(app).login("bob").status_code == 302
    assert stored("bob").startswith("$argon2id$")
    assert Browser(app).login("bob").status_code == 302
    assert Browser(app).login("bob", "not-it").status_code == 200


def test_every_form_needs_its_csrf_token(world: tuple[Flask, dict[str, int]]) -> None:
    app, _ = world
    anon = Browser(app)
    resp = anon.post("/login", {"username": "alice", "password": "demo-password"}, csrf=False)
    assert resp.status_code == 400 and "The form expired" in resp.get_data(as_text=True)
    alice = as_user(app, "alice")
    assert alice.post(f"/exercises/{SLUG}/submit", {"code": "x = 1"}, csrf=False).status_code == 400
    assert alice.post("/logout", csrf=False).status_code == 400
    assert alice.get("/").status_code == 200  # still logged in: the forged logout did nothing


def test_login_attempts_are_rate_limited(tmp_path: Path) -> None:
    app = make_app(tmp_path, login_limit="3 per minute")
    b = Browser(app)
    codes = [b.login("alice", "wrong").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    resp = b.login("alice")
    assert resp.status_code == 429 and "Too many attempts" in resp.get_data(as_text=True)


def test_an_oversized_upload_is_refused_before_its_body_is_read(tmp_path: Path) -> None:
    app = make_app(tmp_path, max_upload_bytes=10_000)
    b = Browser(app)
    b.login("alice")
    token = b.token(f"/exercises/{SLUG}")
    consumed: list[int] = []

    class Body(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            consumed.append(n or -1)
            return super().read(n)

        def readline(self, n: int | None = -1) -> bytes:
            consumed.append(n or -1)
            return super().readline(n)

    resp = b.client.post(f"/exercises/{SLUG}/submit", base_url=BASE, input_stream=Body(b"x" * 50_000),
                         content_type="multipart/form-data; boundary=x",
                         headers={"Referer": BASE + "/", "X-CSRFToken": token})
    assert resp.status_code == 413 and "limit is 9 KB" in resp.get_data(as_text=True)
    assert consumed == []


def test_security_headers_on_every_page(world: tuple[Flask, dict[str, int]]) -> None:
    app, ids = world
    alice = as_user(app, "alice")
    for path in ("/login", "/", f"/submissions/{ids['alice']}/report", "/static/portal.css"):
        h = alice.get(path).headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"


def test_student_code_and_output_appear_only_escaped(world: tuple[Flask, dict[str, int]]) -> None:
    app, ids = world
    alice = as_user(app, "alice")
    for path in (f"/submissions/{ids['alice']}/code", f"/submissions/{ids['alice']}",
                 f"/submissions/{ids['alice']}/report"):
        html = alice.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>loud</b>" not in html, path
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in alice.get(
        f"/submissions/{ids['alice']}/code").get_data(as_text=True)


# ----------------------------------------------------------------------------- the authorization matrix

OK, LOGIN, HIDDEN, FORBIDDEN = 200, 302, 404, 403


def routes(ids: dict[str, int]) -> list[tuple[str, str, dict[str | None, int]]]:
    """(method, path, {user: status}) for every route of the app (the test below checks none is missing)."""
    a, b = ids["alice"], ids["bob"]
    every = {None: LOGIN, "alice": OK, "bob": OK, "teacher": OK}
    only_alice = {None: LOGIN, "alice": OK, "bob": HIDDEN, "teacher": OK}
    only_bob = {None: LOGIN, "alice": HIDDEN, "bob": OK, "teacher": OK}
    staff = {None: LOGIN, "alice": FORBIDDEN, "bob": FORBIDDEN, "teacher": OK}
    return [
        ("GET", "/login", {None: OK, "alice": LOGIN, "bob": LOGIN, "teacher": LOGIN}),
        ("GET", "/signup/not-a-token", {None: HIDDEN, "alice": HIDDEN, "bob": HIDDEN, "teacher": HIDDEN}),
        ("GET", "/", every),
        ("GET", f"/exercises/{SLUG}", every),
        ("GET", "/exercises/no-such-exercise", {None: LOGIN, "alice": HIDDEN, "bob": HIDDEN, "teacher": HIDDEN}),
        ("GET", f"/exercises/{SLUG}/starter.zip", every),
        ("GET", f"/submissions/{a}", only_alice),
        ("GET", f"/submissions/{a}/status.json", only_alice),
        ("GET", f"/submissions/{a}/report", only_alice),
        ("GET", f"/submissions/{a}/code", only_alice),
        ("GET", f"/submissions/{b}", only_bob),
        ("GET", f"/submissions/{b}/report", only_bob),
        ("GET", f"/submissions/{b}/code", only_bob),
        ("GET", f"/submissions/{b}/status.json", only_bob),
        ("GET", "/submissions/99999", {None: LOGIN, "alice": HIDDEN, "bob": HIDDEN, "teacher": HIDDEN}),
        ("GET", "/instructor/", staff),
        ("GET", f"/instructor/exercises/{SLUG}", staff),
        ("GET", "/instructor/grades.csv", staff),
        ("GET", "/static/portal.css", {None: OK, "alice": OK, "bob": OK, "teacher": OK}),
        ("GET", f"/instructor/publish/{SLUG}", staff),
        ("GET", "/instructor/publish/no-such-exercise", {**staff, "teacher": HIDDEN}),
        ("GET", f"/instructor/exercises/{SLUG}/dashboard", staff),
        ("GET", f"/instructor/exercises/{SLUG}/dashboard?part=live", staff),
        ("GET", f"/instructor/regrades/{ids['regrade']}", staff),
        ("GET", f"/instructor/regrades/{ids['regrade']}?part=live", staff),
        ("GET", "/instructor/regrades/99999", {**staff, "teacher": HIDDEN}),
        ("GET", "/instructor/roster", staff),
    ]


# The instructor's POSTs, each sent with a valid CSRF token: students are refused before anything happens.
# None of them touches alice's or bob's submissions (the regrade is of an exercise nobody handed in).
STAFF_POSTS: list[tuple[str, dict[str, str]]] = [
    (f"/instructor/publish/{SLUG}", {}),  # filled in by _publish_form: the settings the demo has
    (f"/instructor/exercises/{SLUG}/extensions", {"username": "bob", "due_at": "2099-01-01T00:00"}),
    ("/instructor/exercises/auth-failed/regrade", {"scope": "all"}),
    ("/instructor/roster", {"text": "student\nzed\n"}),
    ("/instructor/roster/links.csv", {"token": "not-a-token"}),
]
POST_EXPECTED = {None: LOGIN, "alice": FORBIDDEN, "bob": FORBIDDEN, "teacher": None}  # teacher: 200 or 302


def _publish_form(app: Flask) -> dict[str, str]:
    with app.extensions["grader_portal"].db.session() as s:
        pub = next(p for p in s.scalars(select(Publication)) if p.slug == SLUG)
        return {"opens_at": f"{pub.opens_at:%Y-%m-%dT%H:%M}", "due_at": f"{pub.due_at:%Y-%m-%dT%H:%M}",
                "grace_minutes": str(pub.grace_minutes), "penalty_percent": f"{pub.penalty_per_day * 100:g}",
                "last_accepted_at": "", "counting": pub.counting, "bucket_size": str(pub.bucket_size),
                "refill_minutes": f"{pub.refill_minutes:g}"}


@pytest.mark.parametrize("user", [None, "alice", "bob", "teacher"])
def test_authorization_matrix(world: tuple[Flask, dict[str, int]], user: str | None) -> None:
    app, ids = world
    b = as_user(app, user)
    for method, path, expected in routes(ids):
        got = b.client.open(path, method=method, base_url=BASE, buffered=True).status_code
        assert got == expected[user], f"{method} {path} as {user}: {got}, expected {expected[user]}"


@pytest.mark.parametrize("user", [None, "alice", "bob", "teacher"])
def test_authorization_matrix_of_the_instructors_forms(world: tuple[Flask, dict[str, int]], user: str | None) -> None:
    app, _ = world
    b = as_user(app, user)
    token = b.token("/login" if user is None else "/")
    for path, data in STAFF_POSTS:
        form = {**(data or _publish_form(app)), "csrf_token": token}
        resp = b.client.post(path, data=form, base_url=BASE, headers={"Referer": BASE + "/"})
        if user == "teacher":
            assert resp.status_code in (OK, LOGIN), f"POST {path}: {resp.status_code}"
            if resp.status_code == LOGIN:
                assert not resp.headers["Location"].startswith("/login"), f"POST {path} sent the instructor to log in"
        else:
            assert resp.status_code == POST_EXPECTED[user], f"POST {path} as {user}: {resp.status_code}"
            if user is None:
                assert resp.headers["Location"].startswith("/login"), path
    if user == "teacher":  # and the forms did what they say, without touching anyone's submission
        assert "bob: due" in b.get(f"/instructor/exercises/{SLUG}").get_data(as_text=True)
        assert "10 / 10" in as_user(app, "bob").get("/").get_data(as_text=True)
    else:
        assert "bob: due" not in as_user(app, "teacher").get(f"/instructor/exercises/{SLUG}").get_data(as_text=True)


def test_the_matrix_covers_every_route(world: tuple[Flask, dict[str, int]]) -> None:
    app, ids = world
    covered = {urlsplit(p).path for _, p, _ in routes(ids)}
    posted = {urlsplit(p).path for p, _ in STAFF_POSTS}
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("auth.logout", "student.hand_in"):
            continue  # a student's own POSTs: the CSRF test and the flow tests cover them
        if "GET" in (rule.methods or set()):
            assert [p for p in covered if _matches(adapter, p, rule.endpoint)], \
                f"route {rule.rule} ({rule.endpoint}) is not in the authorization matrix"
        if "POST" in (rule.methods or set()) and rule.endpoint.startswith("instructor."):
            assert [p for p in posted if _matches(adapter, p, rule.endpoint, "POST")], \
                f"POST {rule.rule} ({rule.endpoint}) is not in the authorization matrix"


def _matches(adapter: object, path: str, endpoint: str, method: str = "GET") -> bool:
    try:
        return adapter.match(path, method=method)[0] == endpoint  # type: ignore[attr-defined, no-any-return]
    except Exception:
        return False


def test_posts_to_another_students_submission_are_impossible(world: tuple[Flask, dict[str, int]]) -> None:
    app, ids = world
    with app.extensions["grader_portal"].db.session() as s:
        assert s.get(Submission, ids["bob"]).user.username == "bob"  # type: ignore[union-attr]
    bob = as_user(app, "bob")
    assert "10 / 10" in bob.get(f"/submissions/{ids['bob']}").get_data(as_text=True)
    assert "10 / 10" not in as_user(app, "alice").get(f"/submissions/{ids['bob']}").get_data(as_text=True)


# ----------------------------------------------------------------------------- nothing secret on a student page


def _secret_lines() -> dict[str, set[str]]:
    """Per exercise, lines of its hidden checks and its solution that are in nothing any student is given."""
    out = {}
    exercises = [load_exercise(r.name, EXERCISES) for r in sorted(EXERCISES.iterdir())
                 if (r / "exercise.yaml").is_file()]
    public = set()
    for ex in exercises:
        for p in [*ex.starter_dir.rglob("*"), *(ex.checks_dir / c.file for c in ex.visible_checks())]:
            if p.is_file():
                public |= {line.strip() for line in p.read_text("utf-8", errors="replace").splitlines()}
        public |= {line.strip() for line in ex.statement.splitlines()}
    for ex in exercises:
        root = ex.root
        secret = set()
        hidden_files = {c.file for c in ex.checks if c.visibility != "visible" and c.test}
        sources = [ex.checks_dir / f for f in hidden_files] + [p for p in ex.solution_dir.rglob("*") if p.is_file()]
        if (root / "key.yaml").is_file():
            sources.append(root / "key.yaml")
        for p in sources:
            for line in p.read_text("utf-8", errors="replace").splitlines():
                s = line.strip()
                if len(s) >= 12 and s not in public and not s.startswith(("#", "import ", "from ")):
                    secret.add(s)
        out[ex.slug] = secret
    return out


def test_no_page_a_student_reaches_holds_a_hidden_check_or_a_solution(world: tuple[Flask, dict[str, int]]) -> None:
    import html as htmllib
    import io
    import zipfile

    app, ids = world
    # The search finds what it looks for: bob handed in the solution, and his code page (the instructor's to
    # see) holds its lines.
    bob_code = htmllib.unescape(as_user(app, "teacher").get(f"/submissions/{ids['bob']}/code").get_data(as_text=True))
    assert _secret_lines()[SLUG] & {line.strip() for line in bob_code.splitlines()}
    alice = as_user(app, "alice")
    seen: set[str] = set()
    todo = ["/"]
    pages: dict[str, str] = {}
    while todo:
        path = todo.pop()
        if path in seen or not path.startswith("/") or path.startswith("//"):
            continue
        seen.add(path)
        resp = alice.get(path)
        if resp.status_code != 200:
            continue
        if resp.mimetype == "application/zip":
            with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
                pages[path] = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
            continue
        text = resp.get_data(as_text=True)
        pages[path] = htmllib.unescape(text)
        todo += [htmllib.unescape(h) for h in re.findall(r'(?:href|src|data-url)="([^"#]+)"', text)]
    assert len([p for p in pages if p.startswith("/exercises/") and p.endswith("starter.zip")]) >= 10
    assert any(p.endswith("/report") for p in pages) and any(p.endswith("/code") for p in pages)
    page_lines = {path: {line.strip() for line in text.splitlines()} for path, text in pages.items()}
    leaks = [(path, slug, sorted(lines & got)[:3]) for slug, lines in _secret_lines().items()
             for path, got in page_lines.items() if lines & got]
    assert leaks == [], leaks[:20]
    assert sum(len(v) for v in _secret_lines().values()) > 100  # the search had something to find
