# expect: partial (fails: rejects-wrong-shape)
# Assumes the JSON is an object and the theme is hashable: ["dark"] or {"theme": ["dark"]} crash (500).
from flask import Flask, jsonify, request

app = Flask(__name__)
THEMES = {"dark", "light"}


@app.post("/prefs")
def set_prefs():
    data = request.get_json(silent=True)
    if data is None:
        return {"error": "send a JSON body"}, 400
    theme = data.get("theme")
    if theme not in THEMES:
        return {"error": "bad theme"}, 400
    response = jsonify(theme=theme)
    response.set_cookie("theme", theme, max_age=2592000, path="/", httponly=True, samesite="Lax")
    return response


@app.get("/prefs")
def get_prefs():
    theme = request.cookies.get("theme")
    return {"theme": theme if theme in THEMES else "light"}
