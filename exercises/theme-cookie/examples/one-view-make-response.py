# expect: full
# One view for both methods, branching on request.method; make_response and a timedelta max_age.
from datetime import timedelta

from flask import Flask, jsonify, make_response, request

app = Flask(__name__)


@app.route("/prefs", methods=["GET", "POST"])
def prefs():
    if request.method == "GET":
        theme = request.cookies.get("theme", "light")
        if theme not in ("dark", "light"):
            theme = "light"
        return jsonify(theme=theme)

    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("theme"), str):
        return make_response(jsonify(error="expected a JSON object with a string theme"), 400)
    theme = data["theme"]
    if theme not in {"dark", "light"}:
        return make_response(jsonify(error=f"unknown theme {theme!r}"), 400)
    response = make_response(jsonify(theme=theme))
    response.set_cookie("theme", theme, max_age=timedelta(days=30), httponly=True, samesite="Lax")
    return response
