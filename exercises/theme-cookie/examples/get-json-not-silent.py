# expect: partial (fails: rejects-non-json-body)
# request.get_json() without silent=True: a body that is not JSON gets Flask's own HTML 400 or 415
# page instead of the JSON error.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/prefs")
def set_prefs():
    data = request.get_json()
    theme = data.get("theme") if isinstance(data, dict) else None
    if theme not in ("dark", "light"):
        return {"error": "bad theme"}, 400
    response = jsonify(theme=theme)
    response.set_cookie("theme", theme, max_age=2592000, path="/", httponly=True, samesite="Lax")
    return response


@app.get("/prefs")
def get_prefs():
    theme = request.cookies.get("theme")
    return {"theme": theme if theme in ("dark", "light") else "light"}
