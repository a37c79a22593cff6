# expect: partial (fails: ignores-query-string)
# request.values mixes the query string into the form data, so /contact?name=Ada counts as a form field.
from flask import Flask, jsonify, request

app = Flask(__name__)

PAGE = """<form method="post">
<input name="name"> <input name="email"> <textarea name="message"></textarea> <button>Send</button>
</form>"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return PAGE
    missing = [field for field in ("name", "email", "message") if not request.values.get(field)]
    if missing:
        return jsonify(error="missing fields", missing=missing), 400
    return f"Thanks, {request.values['name']}! We will reply to {request.values['email']}."
