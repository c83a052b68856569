"""The real python-socketio client (Socket.IO v5 / Engine.IO v4) against the relays behind
nginx at /socket.io/: long-polling then the upgrade, and WebSocket only. Each gets its
`welcome` event, a published room event, resume (a replay and `resumed`), typing across two
clients, `auth`, the close of a revoked session; bad or missing tokens are refused with CONNECT_ERROR."""
import threading
import time

import socketio
from socketio.exceptions import ConnectionError as SocketIOConnectionError

from relaylib import CONFIG, Publisher, run

FRONT = f"http://127.0.0.1:{CONFIG['frontPort']}"


class Recorder:
    """A python-socketio client that records every event (name, argument) in arrival order."""

    def __init__(self, name, transports):
        self.name, self.transports = name, transports
        self.events = []
        self.lock = threading.Lock()
        self.disconnected = False
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._event)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("connect_error", lambda data=None: self._event("connect_error", data))

    def _event(self, event, data=None):
        with self.lock:
            self.events.append([event, data])

    def _disconnect(self, *args):
        self.disconnected = True

    def connect(self, token, wait_timeout=10):
        auth = None if token is None else {"token": token}
        self.sio.connect(FRONT, transports=self.transports, auth=auth, wait_timeout=wait_timeout)
        return self

    def named(self, event):
        with self.lock:
            return [data for name, data in self.events if name == event]

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.02)
        return predicate(self)


def scenario(publisher, transports, user, other, room):
    channel = f"room:{room}"
    publisher.join(user["userId"], room)
    publisher.join(other["userId"], room)
    before = [publisher.message(room, n) for n in range(2)]      # logged before the connect: resumable
    client = Recorder("main", transports).connect(user["token"])
    peer = Recorder("peer", ["websocket"]).connect(other["token"])
    assert client.wait_for(lambda c: c.named("welcome")), f"no welcome: {client.events}"
    assert peer.wait_for(lambda c: c.named("welcome")), f"peer: no welcome: {peer.events}"
    # Polling clients upgrade in the background: wait for it before reporting the transport.
    client.wait_for(lambda c: c.sio.transport() == transports[-1], timeout=5)
    live = publisher.message(room, 100, body="over socket.io")
    client.wait_for(lambda c: any(e.get("id") == live for e in c.named("message.created")))
    client.sio.emit("resume", {"since": {channel: before[0]}})
    client.wait_for(lambda c: c.named("resumed"))
    client.sio.emit("typing", {"roomId": room})
    peer.wait_for(lambda c: c.named("typing"))
    client.sio.emit("auth", {"token": user["freshToken"]})      # accepted: nothing comes back
    client.sio.emit("auth", {"token": "not-a-token"})           # an error event, still connected
    client.sio.emit("typing", {"roomId": room + 1})               # not a member: an error event
    client.wait_for(lambda c: len(c.named("error")) >= 2)
    time.sleep(0.3)
    result = {"transport": client.sio.transport(), "welcome": client.named("welcome")[0],
              "events": client.events, "peerTyping": peer.named("typing"), "before": before, "live": live,
              "connectedAfter": client.sio.connected}
    # The relay's close semantics: a revoked session gets its event, then `close` with 4002.
    seen = len(client.events)
    publisher.publish(f"user:{user['userId']}", "session.revoked", {"sid": f"sid-{user['userId']}"})
    client.wait_for(lambda c: c.disconnected)
    result["afterRevoke"] = {"events": client.events[seen:], "disconnected": client.disconnected}
    client.sio.disconnect()
    peer.sio.disconnect()
    return result


def refused(transports, token):
    """python-socketio 5.11 waits out `wait_timeout` after a CONNECT_ERROR (it waits for the
    namespace until then), so a short one; the server's message comes as `connect_error`."""
    client = Recorder("refused", transports)
    try:
        client.connect(token, wait_timeout=2)
    except SocketIOConnectionError as error:
        return {"refused": True, "error": str(error), "connectErrors": client.named("connect_error"),
                "disconnected": client.disconnected or not client.sio.eio.state == "connected"}
    connected = client.sio.connected
    client.sio.disconnect()
    return {"refused": False, "connected": connected}


async def main():
    publisher = Publisher()
    result = {}
    for name, transports in [("polling", ["polling", "websocket"]), ("websocket", ["websocket"])]:
        setup = CONFIG[name]
        result[name] = scenario(publisher, transports, setup["user"], setup["other"], setup["room"])
        result[name + "BadToken"] = refused(transports, "not-a-token")
        result[name + "NoToken"] = refused(transports, None)
        result[name + "Expired"] = refused(transports, CONFIG["expired"])
    return result


run(main)
