# expect: full
# One view; the missing fields end the request with abort(Response); the page is a table layout.
from flask import Flask, abort, jsonify, request

app = Flask(__name__)

PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>Contact</title></head>
<body>
  <h1>Write to us</h1>
  <form action="/contact" method="post">
    <table>
      <tr><td>Name</td><td><input type="text" name="name" required></td></tr>
      <tr><td>Email</td><td><input type="email" name="email" required></td></tr>
      <tr><td>Message</td><td><textarea name="message" cols="40" rows="6"></textarea></td></tr>
    </table>
    <button type="submit">Send</button>
  </form>
</body>
</html>
"""


def require(*fields):
    missing = [field for field in fields if not request.form.get(field)]
    if missing:
        response = jsonify(error="missing fields", missing=missing)
        response.status_code = 400
        abort(response)
    return [request.form[field] for field in fields]


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "POST":
        name, email, _message = require("name", "email", "message")
        return f"Thanks, {name}! We will reply to {email}."
    return PAGE
