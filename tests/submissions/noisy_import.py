from flask import Flask

print("<script>alert('x')</script>")
for i in range(200000):
    print("flood line", i)
app = Flask(__name__)
