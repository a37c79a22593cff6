# expect: full
# A create_app() factory: render_template_string for the page (a multipart form, method="Post"),
# make_response with a plain-text thanks and a jsonify'd 400.
from flask import Flask, jsonify, make_response, render_template_string, request

TEMPLATE = """<!doctype html>
<title>{{ title }}</title>
<form method="Post" enctype="multipart/form-data">
  {% for field in fields[:2] %}<p><input name="{{ field }}" placeholder="{{ field|capitalize }}">{% endfor %}
  <p><textarea name="{{ fields[2] }}"></textarea>
  <p><button>Send</button>
</form>
"""


def create_app():
    app = Flask(__name__)
    fields = ["name", "email", "message"]

    @app.route("/contact", methods=["GET", "POST"])
    def contact():
        if request.method == "GET":
            return render_template_string(TEMPLATE, title="Contact us", fields=fields)
        missing = [f for f in fields if f not in request.form or not request.form[f]]
        if missing:
            return make_response(jsonify({"error": "missing fields", "missing": missing}), 400)
        response = make_response(f"Thanks, {request.form['name']}! We will reply to {request.form['email']}.")
        response.mimetype = "text/plain"
        return response

    return app
