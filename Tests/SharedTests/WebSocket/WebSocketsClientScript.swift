/// The `websockets` (Python) client script the network test runs. Kept as a string because the
/// test target declares no resources.
let websocketsClientScript = #"""
"""Drives the echo server with the `websockets` library (a real third-party client).

Prints one JSON object with what it observed; the Swift test checks it.
"""
import json
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

url = sys.argv[1]
out = {}
with connect(url, max_size=None, compression=None) as ws:
    ws.send("hello")
    out["echo"] = ws.recv(timeout=5)
    ws.send("κόσμε 𝄞")
    out["unicode"] = ws.recv(timeout=5)
    ws.send("x" * 60000)
    out["big"] = len(ws.recv(timeout=5))
    ws.send(b"\x00\x01\xff")
    out["binary"] = list(ws.recv(timeout=5))
    ws.send(["frag", "mented", " text"])
    out["fragmented"] = ws.recv(timeout=5)
    out["pong"] = ws.ping(b"hi").wait(5)
    ws.send("close")
    try:
        ws.recv(timeout=5)
    except ConnectionClosed as closed:
        out["serverClose"] = [closed.rcvd.code, closed.rcvd.reason]

with connect(url, compression=None) as ws:
    ws.send("y" * 70000)
    try:
        ws.recv(timeout=5)
    except ConnectionClosed as closed:
        out["tooBig"] = closed.rcvd.code

with connect(url, compression=None) as ws:
    ws.send("bye")
    ws.recv(timeout=5)
    ws.close(code=1000, reason="done")
    out["clientClose"] = [ws.close_code, ws.close_reason]

print(json.dumps(out))
"""#
