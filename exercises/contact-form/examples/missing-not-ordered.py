# expect: partial (fails: missing-in-order)
# Sorts the missing fields alphabetically (email, message, name) instead of the form's order.
from flask import Flask, jsonify, request

app = Flask(__name__)

PAGE = """<form method="post">
<input name="name"> <input name="email"> <textarea name="message"></textarea> <button>Send</button>
</form>"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return PAGE
    missing = sorted(field for field in {"name", "email", "message"} if not request.form.get(field))
    if missing:
        return jsonify(error="missing fields", missing=missing), 400
    return f"Thanks, {request.form['name']}! We will reply to {request.form['email']}."
