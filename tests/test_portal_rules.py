"""The portal's rules on plain data: windows, lateness, the token bucket, the counting attempt, what of a
report a student sees, and what an upload may hold."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from grader.portal.policy import Attempt, Bucket, counting_attempt, lateness, refund, refusal, take, window
from grader.portal.uploads import UploadError, from_paste, from_upload, pack, unpack
from grader.portal.visibility import student_report
from grader.results import CheckResult, Isolation, Report, ReportStatus, Status

T0 = dt.datetime(2026, 3, 1, 12, 0)
H = dt.timedelta(hours=1)


def test_window_refuses_before_opening_and_after_the_last_accepted_date() -> None:
    w = window(T0, T0 + 24 * H, 10, 0.1, T0 + 72 * H)
    assert refusal(w, T0 - H) == "this exercise opens at 2026-03-01 12:00 UTC"
    assert refusal(w, T0 + H) is None
    assert refusal(w, T0 + 71 * H) is None
    assert "stopped accepting work at 2026-03-04 12:00" in (refusal(w, T0 + 73 * H) or "")


@pytest.mark.parametrize(("after_due", "expected"), [
    (dt.timedelta(minutes=-5), (0, 0.0)),
    (dt.timedelta(minutes=10), (0, 0.0)),  # within the 10 minutes of grace
    (dt.timedelta(minutes=11), (1, 0.1)),
    (dt.timedelta(hours=25), (2, 0.2)),
    (dt.timedelta(days=30), (30, 1.0)),  # never more than the whole score
])
def test_lateness_costs_each_started_day_after_the_grace(after_due: dt.timedelta,
                                                          expected: tuple[int, float]) -> None:
    w = window(T0, T0 + 24 * H, 10, 0.1, None)
    days, penalty = lateness(w, T0 + 24 * H + after_due)
    assert (days, round(penalty, 6)) == expected


def test_an_extension_moves_the_due_date_and_the_last_accepted_date() -> None:
    w = window(T0, T0 + 24 * H, 0, 0.5, T0 + 48 * H, extended_due=T0 + 72 * H)
    assert w.due_at == T0 + 72 * H and w.closes_at == T0 + 96 * H
    assert lateness(w, T0 + 60 * H) == (0, 0.0)
    shorter = window(T0, T0 + 24 * H, 0, 0.5, None, extended_due=T0 + 12 * H)
    assert shorter.due_at == T0 + 24 * H  # an "extension" earlier than the due date changes nothing


def test_token_bucket_spends_refills_and_refunds() -> None:
    b = Bucket(2.0, T0)
    b, wait = take(b, T0, 2, 10)
    assert wait is None and b.tokens == 1.0
    b, wait = take(b, T0, 2, 10)
    assert wait is None and b.tokens == 0.0
    empty, wait = take(b, T0 + dt.timedelta(minutes=4), 2, 10)
    assert wait == pytest.approx(6 * 60)
    again, wait = take(b, T0 + dt.timedelta(minutes=10), 2, 10)
    assert wait is None and again.tokens == pytest.approx(0.0)
    assert refund(Bucket(0.0, T0), T0, 2, 10).tokens == 1.0
    assert refund(Bucket(2.0, T0), T0, 2, 10).tokens == 2.0  # never above the size
    assert take(Bucket(0.0, T0), T0 + dt.timedelta(days=9), 2, 10)[0].tokens == 1.0  # refills cap at the size


def test_counting_attempt_best_keeps_the_earliest_of_equals_and_last_is_the_last() -> None:
    a = [Attempt(1, T0, 5, 10), Attempt(2, T0 + H, 9, 10), Attempt(3, T0 + 2 * H, 9, 10), Attempt(4, T0 + 3 * H, 2, 10)]
    assert counting_attempt(a, "best") == a[1]
    assert counting_attempt(a, "last") == a[3]
    assert counting_attempt([], "best") is None


def _check(cid: str, visibility: str, status: Status, score: float, points: float) -> CheckResult:
    return CheckResult(id=cid, title=f"title of {cid}", status=status, score=score, points=points,
                       message=f"message of {cid}", visibility=visibility)


def _report() -> Report:
    checks = [_check("v", "visible", Status.PASSED, 2, 2), _check("h", "hidden", Status.FAILED, 0, 3),
              _check("d", "after_due_date", Status.PASSED, 4, 4), _check("p", "after_published", Status.PASSED, 1, 1)]
    return Report(exercise={"slug": "x", "title": "X"}, submission={"path": "app.py"}, status=ReportStatus.GRADED,
                  score=7, max_score=10, checks=checks, duration_s=0.1, grader={"version": "0"},
                  isolation=Isolation(mode="process"))


def test_before_the_due_date_a_student_sees_visible_checks_and_hidden_points_only() -> None:
    r = student_report(_report(), due_passed=False, published=False)
    assert [c.id for c in r.checks] == ["v"]
    assert (r.score, r.max_score) == (2, 5)  # v 2/2 + h 0/3; d and p withheld, points included
    assert "1 hidden check scored 0 of 3 points" in r.message
    assert "2 more checks will be shown" in r.message
    assert "title of h" not in repr(r) and "message of d" not in repr(r)


def test_after_the_due_date_and_publication_everything_but_hidden_checks_is_shown() -> None:
    r = student_report(_report(), due_passed=True, published=False)
    assert [c.id for c in r.checks] == ["v", "d"] and (r.score, r.max_score) == (6, 9)
    r = student_report(_report(), due_passed=True, published=True)
    assert [c.id for c in r.checks] == ["v", "d", "p"] and (r.score, r.max_score) == (7, 10)
    assert "message of h" not in repr(r)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_zip_of_a_folder_is_graded_as_the_folder_without_hidden_or_tool_files() -> None:
    data = _zip({"mine/app.py": b"x = 1\n", "mine/helpers.py": b"y = 2\n", "mine/.env": b"SECRET=1",
                 "mine/__pycache__/app.pyc": b"\0", "__MACOSX/mine/._app.py": b"junk"})
    assert from_upload("mine.zip", data, "app.py") == {"app.py": b"x = 1\n", "helpers.py": b"y = 2\n"}


@pytest.mark.parametrize(("members", "message"), [
    ({"../evil.py": b"x"}, "unsafe file name"),
    ({"/etc/app.py": b"x"}, "unsafe file name"),
    ({"notes.txt": b"x"}, "no app.py"),
    ({"a/app.py": b"x", "b/app.py": b"y"}, "no app.py"),
])
def test_a_zip_that_cannot_be_graded_says_why(members: dict[str, bytes], message: str) -> None:
    with pytest.raises(UploadError, match=message):
        from_upload("x.zip", _zip(members), "app.py")


def test_a_zip_bomb_stops_at_the_cap_whatever_its_header_claims() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("app.py", b"0" * (9 * 1024 * 1024))  # deflates to a few KB
    with pytest.raises(UploadError, match="unpacks to more than 8 MB"):
        from_upload("x.zip", buf.getvalue(), "app.py")


def test_single_files_and_pasted_code() -> None:
    assert from_upload("whatever.py", b"print(1)\n", "app.py") == {"app.py": b"print(1)\n"}
    assert from_paste("a = 1\r\nb = 2\r\n", "app.py") == {"app.py": b"a = 1\nb = 2\n"}
    with pytest.raises(UploadError, match="empty"):
        from_paste("  \n", "app.py")
    with pytest.raises(UploadError, match="hand in a .py file or a .zip"):
        from_upload("app.exe", b"MZ", "app.py")
    files = {"b.py": b"2", "app.py": b"1"}
    assert unpack(pack(files)) == files and pack(files) == pack(dict(reversed(files.items())))
