"""Protocol violations from raw sockets through nginx: unmasked frame 1002, bad UTF-8 1007,
a frame over 64 KiB 1009, an unknown opcode 1002; a websockets client beside them is unaffected."""
import base64
import json
import os
import socket
import struct

from relaylib import CONFIG, Client, Publisher, run


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(sock):
    b0, b1 = recv_exact(sock, 2)
    if b1 & 0x80:
        raise AssertionError("a server frame must not be masked")
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", recv_exact(sock, 8))[0]
    return b0 & 0x0F, recv_exact(sock, length)


def raw_connection(token, source):
    sock = socket.create_connection(("127.0.0.1", CONFIG["frontPort"]), timeout=10, source_address=(source, 0))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n")
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += recv_exact(sock, 1)
    status = head.split(b"\r\n")[0]
    if b" 101 " not in status:
        raise AssertionError(f"upgrade refused: {status!r}")
    opcode, payload = read_frame(sock)
    if opcode != 1 or json.loads(payload)["type"] != "welcome":
        raise AssertionError(f"no welcome: {opcode} {payload[:80]!r}")
    return sock


def frame(opcode, payload, masked=True, fin=True):
    header = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        header += bytes([mask_bit | n])
    elif n < 65536:
        header += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        header += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_code_after(sock, data):
    """Sends `data` and reads frames until the relay's close frame; its code (None: no frame)."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass   # the relay may stop reading at an oversized header; its close frame is still due
    try:
        while True:
            opcode, payload = read_frame(sock)
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
    except (EOFError, ConnectionResetError, socket.timeout):
        return None
    finally:
        sock.close()


CASES = {
    "unmasked": frame(1, b"{}", masked=False),
    "badUTF8": frame(1, bytes([0xC3, 0x28])),
    "oversized": frame(1, b"a" * 70_000),
    "unknownOpcode": frame(3, b""),
}


async def main():
    publisher = Publisher()
    user = CONFIG["userId"]
    sources = CONFIG["sources"]
    bystanders = [(await Client(f"bystander{i}", CONFIG["token"], source=s).open()).start_reading()
                  for i, s in enumerate(sources)]
    codes = {}
    for name, data in CASES.items():
        codes[name] = [close_code_after(raw_connection(CONFIG["token"], s), data) for s in sources]
    event = publisher.publish(f"user:{user}", "friend.added", {"userId": 1})
    for b in bystanders:
        await b.wait_for(lambda c: event in c.ids())
        await b.send({"type": "ping"})
        await b.wait_for(lambda c: any(f.get("type") == "pong" for f in c.frames))
    fresh = [(await Client(f"fresh{i}", CONFIG["token"], source=s).open()) for i, s in enumerate(sources)]
    result = {"codes": codes, "event": event, "bystanders": [b.summary() for b in bystanders],
              "freshWelcomed": [f.welcome is not None for f in fresh]}
    for c in bystanders + fresh:
        await c.close()
    return result


run(main)
