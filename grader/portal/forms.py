"""The portal's forms (Flask-WTF): every one carries a CSRF token, checked on every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SignupForm(FlaskForm):
    password = PasswordField("Choose a password", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField("Type it again", validators=[DataRequired(), EqualTo("password", "the passwords differ")])


class SubmitForm(FlaskForm):
    upload = FileField("Upload your file (app.py) or a .zip of your folder")
    code = TextAreaField("Or paste your code", validators=[Optional()])


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token (log out, regrade)."""
