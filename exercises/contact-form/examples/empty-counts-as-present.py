# expect: partial (fails: empty-fields-missing)
# Checks only that each field is in the form, so an empty name="" still gets "Thanks, ! ...".
from flask import Flask, jsonify, request

app = Flask(__name__)

PAGE = """<form method="post">
<input name="name"> <input name="email"> <textarea name="message"></textarea> <button>Send</button>
</form>"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return PAGE
    missing = [field for field in ("name", "email", "message") if field not in request.form]
    if missing:
        return jsonify(error="missing fields", missing=missing), 400
    return f"Thanks, {request.form['name']}! We will reply to {request.form['email']}."
