"""A client that stops reading is cut off by its relay (1008, send queue cap) once the kernel
and nginx buffers in between are full, while the readers keep receiving every event."""
import asyncio
import socket

from relaylib import CONFIG, Client, Publisher, relay_metric, run, step

CLOSED = "chat_relay_slow_consumers_closed_total"


def slow_consumers():
    return sum(relay_metric(p, CLOSED) for p in CONFIG["relayPorts"])


async def main():
    publisher = Publisher()
    room = CONFIG["room"]
    channel = f"room:{room}"
    stuck_user = CONFIG["stuck"]
    for user in [stuck_user] + CONFIG["readers"]:
        publisher.join(user["userId"], room)
    readers = [(await Client(f"r{i}", r["token"], source=r["source"]).open()).start_reading()
               for i, r in enumerate(CONFIG["readers"])]
    # The stuck client: a tiny receive buffer, and websockets stops reading after one message.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((stuck_user["source"], 0))
    sock.connect(("127.0.0.1", CONFIG["frontPort"]))
    sock.setblocking(False)
    stuck = await Client("stuck", stuck_user["token"]).open(sock=sock, max_queue=1)

    baseline = await asyncio.to_thread(slow_consumers)
    body = "x" * 16_000
    published = []
    while await asyncio.to_thread(slow_consumers) == baseline:
        if len(published) >= CONFIG["maxEvents"]:
            raise AssertionError(f"not cut off after {len(published)} events of 16 kB")
        batch = await asyncio.to_thread(lambda: [publisher.message(room, len(published) + n, body) for n in range(10)])
        published += batch
        # Paced by the readers: they never fall behind by more than a batch.
        for r in readers:
            if not await r.wait_for(lambda c: len(c.ids(channel)) >= len(published), timeout=15):
                raise AssertionError(f"{r.name} fell behind: {len(r.ids(channel))} of {len(published)}")
    step("cut off", events=len(published))
    after = publisher.message(room, len(published), "after the cut")
    published.append(after)
    for r in readers:
        await r.wait_for(lambda c: after in c.ids(channel))
    stuck.start_reading()                           # now it reads what reached it, then the end
    await stuck.wait_closed(timeout=20)
    publisher.redis.delete(f"chat:{channel}:log")   # 16 kB entries: keep the shared Redis small
    result = {"published": published, "readers": [r.summary() for r in readers],
              "stuckIds": stuck.ids(channel), "stuckClose": stuck.close_code,
              "stuckUserId": stuck_user["userId"]}
    for r in readers:
        await r.close()
    return result


run(main)
