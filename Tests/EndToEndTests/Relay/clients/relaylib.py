"""Shared pieces of the relay end-to-end clients (run by Tests/EndToEndTests/Relay).

Each scenario script is started as `python <script> <config.json>`; the config names the
front door (nginx), the relays' own ports, Redis, the publish script and the clients' tokens.
A script reports progress as JSON lines on stdout ({"step": name}), waits for the Swift test
at barriers (the file <control>/<name> appears), and ends with one line {"result": {...}}.
"""

import asyncio
import itertools
import json
import os
import random
import sys
import time
import urllib.request

import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

CONFIG = json.load(open(sys.argv[1])) if len(sys.argv) > 1 else {}


def step(name, **fields):
    print(json.dumps({"step": name, **fields}), flush=True)


def finish(result):
    print(json.dumps({"result": result}), flush=True)


async def barrier(name, timeout=30):
    """Waits until the Swift side creates <control>/<name> (after it did something)."""
    path = os.path.join(CONFIG["control"], name)
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier {name} not released in {timeout} s")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------------------------------------
# Publishing exactly as ChatAPI's outbox publisher does: one EVAL of its Lua script per event.


class Publisher:
    """ChatAPI's publishing shape: KEYS marker, log (, side-effect key); ARGV channel, envelope
    without id, log max length, retention ms, side effect op, its member/value, its TTL."""

    _outbox_ids = itertools.count(random.randrange(1, 1 << 40) << 16)

    def __init__(self, port=None):
        self.redis = redis.Redis(host="127.0.0.1", port=port or CONFIG["redisPort"], socket_timeout=2,
                                 socket_connect_timeout=1)
        self.script = self.redis.register_script(CONFIG["publishScript"])

    def envelope(self, channel, type_, room_id, data):
        envelope = {"v": 1, "channel": channel, "type": type_}
        if room_id is not None:
            envelope["roomId"] = room_id
        envelope["occurredAt"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        envelope["data"] = data
        text = json.dumps(envelope, separators=(",", ":"))
        assert text.startswith('{"v":1,'), text
        return text

    def publish(self, channel, type_, data=None, room_id=None, retry_for=0.0):
        """Publishes one event; returns its id. `retry_for` seconds of retries while Redis is
        away, with the same outbox id (the marker key makes a retry never duplicate)."""
        data = {} if data is None else data
        kind, number = channel.split(":")
        if kind == "room" and room_id is None:
            room_id = int(number)
        outbox_id = next(self._outbox_ids)
        keys = [f"chat:published:{outbox_id}", f"chat:{channel}:log"]
        args = [f"chat:{channel}", self.envelope(channel, type_, room_id, data), "10000", str(86_400_000)]
        if type_ == "room.joined" and kind == "user":
            keys.append(f"chat:user:{number}:rooms"); args += ["sadd", str(room_id), ""]
        elif type_ == "room.left" and kind == "user":
            keys.append(f"chat:user:{number}:rooms"); args += ["srem", str(room_id), ""]
        elif type_ == "session.revoked" and kind == "user":
            keys.append(f"chat:revoked:sid:{data['sid']}"); args += ["setex", "1", "960"]
        else:
            args += ["", "", ""]
        deadline = time.monotonic() + retry_for
        while True:
            try:
                reply = self.script(keys=keys, args=args)
                return reply.decode() if isinstance(reply, bytes) else str(reply)
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def join(self, user_id, room_id):
        """room.joined on the user channel: also adds the room to chat:user:{id}:rooms."""
        return self.publish(f"user:{user_id}", "room.joined", {"id": room_id, "type": "group"}, room_id=room_id)

    def leave(self, user_id, room_id):
        return self.publish(f"user:{user_id}", "room.left", {"roomId": room_id}, room_id=room_id)

    def message(self, room_id, n, body=None, retry_for=0.0):
        data = {"id": n, "roomId": room_id, "senderId": 1, "body": body if body is not None else f"message {n}"}
        return self.publish(f"room:{room_id}", "message.created", data, retry_for=retry_for)


# ---------------------------------------------------------------------------------------------
# Clients.


def relay_url(path="/ws"):
    return f"ws://127.0.0.1:{CONFIG['frontPort']}{path}"


def connect_kwargs(source=None):
    """Binds to a loopback source address: nginx hashes $remote_addr, so different sources
    reach different relay instances."""
    return {"local_addr": (source, 0)} if source else {}


class Client:
    """A `websockets` client that records everything it receives in the background."""

    def __init__(self, name, token, source=None, query_token=False):
        self.name, self.token, self.source, self.query_token = name, token, source, query_token
        self.frames = []          # parsed JSON frames after welcome, in arrival order
        self.welcome = None
        self.close_code = None
        self.close_reason = None
        self.ws = None
        self._reader = None
        self._arrived = asyncio.Event()

    async def open(self, **options):
        headers = None if self.query_token else {"Authorization": f"Bearer {self.token}"}
        url = relay_url("/ws?token=" + self.token) if self.query_token else relay_url()
        self.ws = await connect(url, additional_headers=headers, ping_interval=None, open_timeout=10,
                                **connect_kwargs(self.source), **options)
        first = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        if first.get("type") != "welcome":
            raise AssertionError(f"{self.name}: first frame is not welcome: {first}")
        self.welcome = first
        return self

    def start_reading(self):
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        try:
            async for message in self.ws:
                self.frames.append(json.loads(message))
                self._arrived.set()
        except ConnectionClosed:
            pass
        self._closed()
        self._arrived.set()

    def _closed(self):
        rcvd = self.ws.protocol.close_rcvd if self.ws else None
        self.close_code = rcvd.code if rcvd is not None else 1006
        self.close_reason = rcvd.reason if rcvd is not None else ""

    def events(self, channel=None):
        return [f for f in self.frames if "id" in f and (channel is None or f.get("channel") == channel)]

    def ids(self, channel=None):
        return [f["id"] for f in self.events(channel)]

    async def wait_for(self, predicate, timeout=10):
        """Until predicate(self) holds or the connection ends; returns whether it holds."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if self.close_code is not None or time.monotonic() > deadline:
                return predicate(self)
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        return True

    async def wait_closed(self, timeout=10):
        if self._reader is None:
            self.start_reading()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except asyncio.TimeoutError:
            pass
        return self.close_code

    async def send(self, obj):
        await self.ws.send(json.dumps(obj))

    async def abort(self):
        """Drops the TCP connection without a close handshake (a network loss)."""
        self.ws.transport.abort()
        if self._reader:
            await asyncio.wait([self._reader], timeout=2)

    async def close(self):
        if self.ws:
            await self.ws.close()
        if self._reader:
            await asyncio.wait([self._reader], timeout=2)

    def summary(self):
        return {"name": self.name, "welcome": self.welcome, "ids": self.ids(), "closeCode": self.close_code,
                "closeReason": self.close_reason,
                "frames": [f for f in self.frames if "id" not in f]}


async def upgrade_status(token=None, source=None, query=None):
    """The HTTP status of an upgrade attempt: 101 when it was accepted."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else None
    url = relay_url("/ws" + (f"?token={query}" if query is not None else ""))
    try:
        ws = await connect(url, additional_headers=headers, ping_interval=None, open_timeout=10,
                           **connect_kwargs(source))
    except InvalidStatus as refused:
        return refused.response.status_code
    await ws.close()
    return 101


def relay_metric(port, name):
    """One unlabelled sample from a relay's /actuator/prometheus (its own port)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/actuator/prometheus", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ", 1)[1])
    raise KeyError(name)


def run(main):
    """Runs the scenario; an exception becomes {"error": ...} so the Swift side reports it."""
    try:
        finish(asyncio.run(main()))
    except Exception as error:  # reported, not swallowed: the test fails with this text
        import traceback
        print(json.dumps({"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}),
              flush=True)
        sys.exit(1)
