# expect: partial (fails: form-fields)
# The message <textarea> sits after </form>, so the browser never sends it with the form.
from flask import Flask, jsonify, request

app = Flask(__name__)

PAGE = """<form method="post">
<input name="name"> <input name="email"> <button>Send</button>
</form>
<textarea name="message"></textarea>"""


@app.route("/contact", methods=["GET", "POST"])
def contact():
    if request.method == "GET":
        return PAGE
    missing = [field for field in ("name", "email", "message") if not request.form.get(field)]
    if missing:
        return jsonify(error="missing fields", missing=missing), 400
    return f"Thanks, {request.form['name']}! We will reply to {request.form['email']}."
