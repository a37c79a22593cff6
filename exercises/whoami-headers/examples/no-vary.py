# expect: partial (fails: vary-user-agent)
# Everything but the Vary header: a cache could hand a phone's answer to a desktop browser.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/whoami")
def whoami():
    ua = request.headers.get("User-Agent")
    response = jsonify(user_agent=ua, mobile=ua is not None and "mobile" in ua.lower())
    if "X-Request-Id" in request.headers:
        response.headers["X-Request-Id"] = request.headers["X-Request-Id"]
    return response
