from flask import Flask

app = Flask(__name__)
hog = bytearray(2 * 1024 * 1024 * 1024)
