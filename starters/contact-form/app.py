"""Contact form: GET /contact shows a form; POST /contact thanks the sender or lists missing fields.

GET /contact:  200, an HTML page with <form method="post"> holding fields named name, email, message.
POST /contact: read request.form (NOT the query string):
  - all three present and non-empty: 200 with the text  Thanks, <name>! We will reply to <email>.
  - otherwise: 400 with the JSON {"error": "missing fields", "missing": [...]}, listing the absent or
    empty fields in the order name, email, message.

Run it with `flask --app app run`, open http://localhost:5000/contact, or try:
    curl -X POST http://localhost:5000/contact -d name=Ada -d email=ada@example.com -d message=Hi
"""

from flask import Flask, jsonify, request

app = Flask(__name__)

FIELDS = ("name", "email", "message")

FORM_PAGE = """<!doctype html>
<title>Contact us</title>
<h1>Contact us</h1>
<form>
  <!-- TODO: send the form with method="post"; add the fields name, email and message. -->
  <button type="submit">Send</button>
</form>
"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return FORM_PAGE
    # TODO: missing = the names in FIELDS whose request.form value is absent or empty, in order.
    # TODO: if missing: return jsonify(error="missing fields", missing=missing), 400
    # TODO: return f"Thanks, {name}! We will reply to {email}."
    return jsonify(error="not implemented yet"), 501
