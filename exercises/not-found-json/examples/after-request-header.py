# expect: full
# The view returns (dict, 404); an after_request hook adds the custom header to every 404.
from flask import Flask

app = Flask(__name__)

GLOSSARY = {"python": "A programming language", "flask": "A web framework"}


@app.after_request
def mark_not_found(response):
    if response.status_code == 404:
        response.headers["X-Custom-Header"] = "Value"
    return response


@app.route("/lookup/<key>")
def lookup(key):
    if key in GLOSSARY:
        return {"key": key, "value": GLOSSARY[key]}
    return {"error": "Not Found"}, 404
