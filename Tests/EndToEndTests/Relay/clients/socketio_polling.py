"""Raw Engine.IO v4 long-polling clients (plain HTTP/1.1 over asyncio streams) against the
relays behind nginx at /socket.io/, all from 127.0.0.1 so nginx sends them to one relay:

- many: N sessions each hold a GET at the same time (far more than the old 32-thread cap);
  one room event published to Redis then answers every held GET; the relays' thread counts
  are read while the polls are held.
- upgrade: a session holds a GET, a WebSocket comes with its sid and `2probe`: the held GET is
  answered with a noop (`6`), then `5` finishes the upgrade and events come over the WebSocket.
- abandoned: a session holds a GET and its client goes away: the session ends (Engine.IO's
  "poll connection closed prematurely"), so a POST to its sid is refused with 400.
"""
import asyncio
import json
import time

from websockets.asyncio.client import connect

from relaylib import CONFIG, Publisher, run, step

HOST, PORT = "127.0.0.1", CONFIG["frontPort"]
SEPARATOR = "\x1e"


async def request(method, query, body=b"", timeout=40):
    """One HTTP/1.1 request on a connection of its own; (status, body text)."""
    reader, writer = await asyncio.open_connection(HOST, PORT)
    try:
        head = (f"{method} /socket.io/?EIO=4&{query} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
                f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(body)}\r\n\r\n")
        writer.write(head.encode() + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", len(rest)))
    return status, rest[:length].decode()


class PollingSession:
    """One Engine.IO session over long-polling, Socket.IO CONNECT with a token."""

    def __init__(self, token):
        self.token, self.sid, self.packets = token, None, []

    async def open(self):
        status, body = await request("GET", "transport=polling")
        assert status == 200 and body.startswith("0"), f"handshake: {status} {body}"
        self.sid = json.loads(body[1:])["sid"]
        assert await self.post("40" + json.dumps({"token": self.token})) == (200, "ok")
        # Polls until the relay's welcome event arrived (after the CONNECT ack).
        deadline = time.monotonic() + 20
        while not any(p.startswith('42["welcome"') for p in self.packets):
            assert time.monotonic() < deadline, f"{self.sid}: no welcome in {self.packets}"
            status, body = await self.poll()
            assert status == 200, f"poll: {status} {body}"
        return self

    def query(self, transport="polling"):
        return f"transport={transport}&sid={self.sid}"

    async def poll(self):
        status, body = await request("GET", self.query())
        if status == 200:
            for packet in body.split(SEPARATOR):
                if packet == "2":
                    await self.post("3")   # answer the server's ping, as a client must
                self.packets.append(packet)
        return status, body

    async def post(self, payload):
        return await request("POST", self.query(), payload.encode())


def threads(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


async def many(publisher, setup):
    room, tokens = setup["room"], setup["tokens"]
    for user in setup["users"]:
        publisher.join(user, room)
    sessions = await asyncio.gather(*(PollingSession(token).open() for token in tokens))
    step("connected", count=len(sessions))
    started = time.monotonic()
    held = [asyncio.ensure_future(s.poll()) for s in sessions]
    await asyncio.sleep(1.5)   # every GET reaches the relay and is held there
    early = [s.sid for s, poll in zip(sessions, held) if poll.done()]
    counts = [threads(pid) for pid in CONFIG["relayPids"]]
    live = publisher.message(room, 1, body="to every poller")
    answers = await asyncio.wait_for(asyncio.gather(*held), 20)
    got = [s for s, (status, body) in zip(sessions, answers) if status == 200 and live in body]
    result = {"sessions": len(sessions), "earlyAnswers": early, "relayThreads": counts,
              "statuses": sorted({status for status, _ in answers}), "delivered": len(got),
              "heldSeconds": time.monotonic() - started, "sample": answers[0][1][:300]}
    for s in sessions:
        await s.post("1")
    return result


async def upgrade(setup):
    session = await PollingSession(setup["token"]).open()
    held = asyncio.ensure_future(session.poll())
    await asyncio.sleep(0.5)
    heldBefore = not held.done()
    url = f"ws://{HOST}:{PORT}/socket.io/?EIO=4&{session.query('websocket')}"
    async with connect(url, ping_interval=None, open_timeout=10) as ws:
        await ws.send("2probe")
        probe = await asyncio.wait_for(ws.recv(), 10)
        status, body = await asyncio.wait_for(held, 10)
        await ws.send("5")
        await ws.send('42["typing",{"roomId":1}]')   # not a member: the error comes over the WebSocket
        frame = await asyncio.wait_for(ws.recv(), 10)
        return {"heldBefore": heldBefore, "probe": probe, "pollStatus": status, "pollBody": body,
                "afterUpgrade": frame}


async def abandoned(setup):
    session = await PollingSession(setup["token"]).open()
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(f"GET /socket.io/?EIO=4&{session.query()} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    await writer.drain()
    await asyncio.sleep(0.5)
    whileHeld = await session.post("6")      # a noop: the session is alive while its GET is held
    writer.close()                           # the client goes away mid-poll
    after, deadline = None, time.monotonic() + 5
    while time.monotonic() < deadline:
        after = await session.post("6")
        if after[0] != 200:
            break
        await asyncio.sleep(0.1)
    return {"whileHeld": list(whileHeld), "after": list(after),
            "seconds": 5 - (deadline - time.monotonic())}


async def main():
    publisher = Publisher()
    return {"many": await many(publisher, CONFIG["many"]), "upgrade": await upgrade(CONFIG["upgrade"]),
            "abandoned": await abandoned(CONFIG["abandoned"])}


run(main)
