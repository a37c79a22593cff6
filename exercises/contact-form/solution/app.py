"""Reference solution for contact-form."""

from flask import Flask, jsonify, request

app = Flask(__name__)

FIELDS = ("name", "email", "message")

FORM_PAGE = """<!doctype html>
<title>Contact us</title>
<h1>Contact us</h1>
<form method="post">
  <p><label>Name <input name="name" required></label>
  <p><label>Email <input name="email" type="email" required></label>
  <p><label>Message <textarea name="message" required></textarea></label>
  <p><button type="submit">Send</button>
</form>
"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return FORM_PAGE
    missing = [field for field in FIELDS if not request.form.get(field)]
    if missing:
        return jsonify(error="missing fields", missing=missing), 400
    return f"Thanks, {request.form['name']}! We will reply to {request.form['email']}."
