# expect: partial (fails: form-page)
# The <form> has no method, so a browser sends it as GET /contact?name=... and the POST view never runs.
from flask import Flask, jsonify, request

app = Flask(__name__)

PAGE = """<form action="/contact">
<input name="name"> <input name="email"> <textarea name="message"></textarea> <button>Send</button>
</form>"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return PAGE
    missing = [field for field in ("name", "email", "message") if not request.form.get(field)]
    if missing:
        return jsonify(error="missing fields", missing=missing), 400
    return f"Thanks, {request.form['name']}! We will reply to {request.form['email']}."
