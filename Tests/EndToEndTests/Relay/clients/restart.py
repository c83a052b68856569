"""Redis restarted mid-stream: connected clients stay connected and receive every event once,
in order, including those published while the relays were still reconnecting (backfilled)."""
import asyncio

from relaylib import CONFIG, Client, Publisher, barrier, relay_metric, run, step


def publish_many(publisher, room, numbers, ids):
    for n in numbers:
        # Retried with the same outbox id until Redis is back, as the outbox publisher does.
        ids.append(publisher.message(room, n, retry_for=20))


async def main():
    publisher = Publisher()
    room = CONFIG["room"]
    channel = f"room:{room}"
    for member in CONFIG["members"]:
        publisher.join(member["userId"], room)
    clients = [(await Client(f"m{i}", m["token"], source=m["source"]).open()).start_reading()
               for i, m in enumerate(CONFIG["members"])]
    published = []
    publish_many(publisher, room, range(0, 30), published)
    for c in clients:
        await c.wait_for(lambda c: len(c.ids(channel)) >= len(published))
    step("streaming")
    await barrier("down")                          # Redis is stopped now
    # In a thread, so the clients keep reading: blocks in retries until Redis is back.
    sender = asyncio.ensure_future(asyncio.to_thread(publish_many, publisher, room, range(30, 90), published))
    await barrier("up")
    await sender                                   # these reach the relays by backfill
    # Then live ones once both relays are subscribed again (merged with the backfill).
    for port in CONFIG["relayPorts"]:
        while relay_metric(port, "chat_relay_redis_up") != 1:
            await asyncio.sleep(0.02)
    publish_many(publisher, room, range(90, 120), published)
    for c in clients:
        await c.wait_for(lambda c: len(c.ids(channel)) >= len(published), timeout=20)
    await asyncio.sleep(0.3)
    reconnects = [relay_metric(p, "chat_relay_redis_reconnects_total") for p in CONFIG["relayPorts"]]
    backfilled = [relay_metric(p, "chat_relay_backfilled_events_total") for p in CONFIG["relayPorts"]]
    result = {"published": published, "clients": [c.summary() for c in clients],
              "reconnects": reconnects, "backfilled": backfilled}
    for c in clients:
        await c.close()
    return result


run(main)
