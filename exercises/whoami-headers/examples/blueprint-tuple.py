# expect: full
# A Blueprint whose view returns a (body, status, headers) tuple; the headers are a list of pairs,
# with two separate Vary lines (a valid way to list several entries), built with a regex for "mobile".
import re

from flask import Blueprint, Flask, jsonify, request

MOBILE = re.compile("mobile", re.IGNORECASE)
who = Blueprint("who", __name__)


@who.get("/whoami")
def whoami():
    agent = request.headers.get("user-agent")
    headers = [("Vary", "Accept-Encoding"), ("Vary", "user-agent")]
    rid = request.headers.get("x-request-id")
    if rid is not None:
        headers.append(("X-Request-Id", rid))
    body = jsonify({"user_agent": agent, "mobile": agent is not None and MOBILE.search(agent) is not None})
    return body, 200, headers


app = Flask(__name__)
app.register_blueprint(who)
