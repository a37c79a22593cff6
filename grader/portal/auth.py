"""Logging in and out, and signing up from a one-time link. POSTs here are rate-limited per address."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..errors import GraderError
from .accounts import authenticate, needs_rehash, open_signup, rehash, use_signup
from .app import state
from .forms import EmptyForm, LoginForm, SignupForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "//evil.example" and "https://..." would make the login an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("student.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("student.index"))
    form = LoginForm()
    if form.validate_on_submit():
        password = form.password.data or ""
        with state().db.session() as s:
            user = authenticate(s, form.username.data or "", password)
        if user is not None:
            if needs_rehash(user.password_hash):  # a hash from an older scheme: replaced now that we know it
                with state().db.session(write=True) as s:
                    rehash(s, user.id, password)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong username or password.", "error")
    return render_template("login.html.j2", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/signup/<token>", methods=["GET", "POST"])
def signup(token: str) -> str | Response:
    form = SignupForm()
    with state().db.session(write=True) as s:
        link = open_signup(s, token)
        if link is None:
            abort(404)
        username = link.username
        if form.validate_on_submit():
            try:
                user = use_signup(s, link, form.password.data or "")
            except GraderError as exc:
                flash(exc.message, "error")
            else:
                s.flush()
                login_user(user)
                return redirect(url_for("student.index"))
    return render_template("signup.html.j2", form=form, username=username)
