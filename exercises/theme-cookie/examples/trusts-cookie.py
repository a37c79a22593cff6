# expect: partial (fails: get-ignores-bogus-cookie)
# GET /prefs answers whatever the cookie holds, even "blue" or "".
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/prefs")
def set_prefs():
    data = request.get_json(silent=True)
    theme = data.get("theme") if isinstance(data, dict) else None
    if theme not in ("dark", "light"):
        return {"error": "bad theme"}, 400
    response = jsonify(theme=theme)
    response.set_cookie("theme", theme, max_age=2592000, path="/", httponly=True, samesite="Lax")
    return response


@app.get("/prefs")
def get_prefs():
    return {"theme": request.cookies.get("theme", "light")}
