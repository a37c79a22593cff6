# expect: full
# A Blueprint whose view returns dicts (Flask sends them as JSON); str.casefold() for the comparison.
from flask import Blueprint, Flask, request

COURSES = ["Python Basics", "Flask Templates", "Flask Request & Response", "Flask REST API", "Testing with Pytest"]

catalogue = Blueprint("catalogue", __name__)


@catalogue.get("/search")
def search():
    q = request.args.get("q", "")
    needle = q.casefold()
    results = [c for c in COURSES if needle in c.casefold()]
    raw_limit = request.args.get("limit")
    if raw_limit is not None:
        if not raw_limit.isdigit() or int(raw_limit) < 1:
            return {"error": f"limit must be a whole number of 1 or more, not {raw_limit!r}"}, 400
        results = results[: int(raw_limit)]
    return {"query": q, "count": len(results), "results": results}


app = Flask(__name__)
app.register_blueprint(catalogue)
