from flask import Flask

app = Flask(__name__)


@app.post("/echo")
def echo()
    return "x"
