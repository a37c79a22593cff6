# expect: partial (fails: post-sets-cookie)
# No max_age: a session cookie that the browser forgets when it closes.
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
    response.set_cookie("theme", theme, httponly=True, samesite="Lax")
    return response
