# expect: full
# The lesson's own snippet, verbatim: it reads the User-Agent but does not need it.
from flask import Flask, request
app = Flask(__name__)
@app.route('/login', methods=['POST'])
def login():
    data = request.get_json()
    username = data.get('username')
    source = request.args.get('source')
    user_agent = request.headers.get('User-Agent')
    return f"Hello {username} from {source}"
