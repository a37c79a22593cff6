# expect: partial (fails: post-sets-cookie)
# Forgets httponly=True, so page scripts could read the cookie.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/prefs", methods=["GET", "POST"])
def prefs():
    if request.method == "GET":
        theme = request.cookies.get("theme")
        return {"theme": theme if theme in ("dark", "light") else "light"}
    data = request.get_json(silent=True)
    theme = data.get("theme") if isinstance(data, dict) else None
    if theme not in ("dark", "light"):
        return {"error": "bad theme"}, 400
    response = jsonify(theme=theme)
    response.set_cookie("theme", theme, max_age=2592000, path="/", samesite="Lax")
    return response
