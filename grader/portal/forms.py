"""The portal's forms (Flask-WTF): every one carries a CSRF token, checked on every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional


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


class PublishForm(FlaskForm):
    """An exercise's dates and policies. Times are UTC (the portal stores and shows UTC only)."""

    opens_at = DateTimeLocalField("Opens at (UTC)", validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    due_at = DateTimeLocalField("Due at (UTC)", validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    grace_minutes = IntegerField("Grace period (minutes)", default=0, validators=[InputRequired(),
                                                                                  NumberRange(0, 7 * 24 * 60)])
    penalty_percent = DecimalField("Penalty per day late (% of the score)", default=0, places=None,
                                   validators=[InputRequired(), NumberRange(0, 100)])
    last_accepted_at = DateTimeLocalField("Last accepted (UTC; empty: late work is always accepted)",
                                          validators=[Optional()], format="%Y-%m-%dT%H:%M")
    counting = SelectField("The attempt that counts", choices=["best", "last"])
    bucket_size = IntegerField("Submissions a student may make at once", default=5,
                               validators=[InputRequired(), NumberRange(1, 1000)])
    refill_minutes = DecimalField("One more every (minutes; 0: no limit)", default=10, places=None,
                                  validators=[InputRequired(), NumberRange(0, 7 * 24 * 60)])
    grades_published = BooleanField("Grades published (checks marked after_published are shown)")


class ExtensionForm(FlaskForm):
    username = StringField("Student", validators=[DataRequired(), Length(max=64)])
    due_at = DateTimeLocalField("New due date (UTC; empty: remove the extension)", validators=[Optional()],
                                format="%Y-%m-%dT%H:%M")


class RosterForm(FlaskForm):
    upload = FileField("Roster CSV (a `student` or `github_username` column; `name` optional)")
    text = TextAreaField("Or paste it", validators=[Optional()])


class RegradeForm(FlaskForm):
    scope = RadioField("Regrade", default="latest", choices=[SelectChoice("latest", "each student's latest submission"),
                                                             SelectChoice("all", "every submission")])
