# expect: partial (fails: rejects-unknown-theme)
# Sets the cookie before checking the theme, so {"theme": "blue"} still stores theme=blue.
from flask import Flask, jsonify, make_response, request

app = Flask(__name__)


@app.route("/prefs", methods=["GET", "POST"])
def prefs():
    if request.method == "GET":
        theme = request.cookies.get("theme")
        return {"theme": theme if theme in ("dark", "light") else "light"}
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("theme"), str):
        return {"error": "send {\"theme\": \"dark\"} or {\"theme\": \"light\"}"}, 400
    theme = data["theme"]
    response = make_response(jsonify(theme=theme))
    response.set_cookie("theme", theme, max_age=2592000, path="/", httponly=True, samesite="Lax")
    if theme not in ("dark", "light"):
        response = make_response(jsonify(error="unknown theme"), 400)
        response.set_cookie("theme", theme, max_age=2592000, path="/", httponly=True, samesite="Lax")
    return response
