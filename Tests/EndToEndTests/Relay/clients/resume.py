"""Resume after a connection is lost in the middle of a burst, and resume past a trimmed log."""
import asyncio

from relaylib import CONFIG, Client, Publisher, run


async def burst(publisher, room, count, ids):
    for n in range(count):
        ids.append(publisher.message(room, n))
        if n % 10 == 9:
            await asyncio.sleep(0.005)   # the burst outlasts the reconnect


async def lost_during_burst(publisher):
    room = CONFIG["room"]
    channel = f"room:{room}"
    first = (await Client("first", CONFIG["token"], source=CONFIG["source"]).open()).start_reading()
    published = []
    sender = asyncio.ensure_future(burst(publisher, room, CONFIG["count"], published))
    await first.wait_for(lambda c: len(c.ids(channel)) >= CONFIG["count"] // 5)
    await first.abort()                                    # the network drops, no close handshake
    seen = first.ids(channel)
    second = await Client("second", CONFIG["token"], source=CONFIG["source"]).open()
    second.start_reading()
    await second.send({"type": "resume", "since": {channel: seen[-1]}})
    await sender
    await second.wait_for(lambda c: any(f.get("type") == "resumed" for f in c.frames)
                          and published[-1] in c.ids(channel), timeout=15)
    await asyncio.sleep(0.2)
    await second.close()
    return {"published": published, "beforeLoss": seen, "welcome": second.welcome,
            "frames": second.frames}


async def trimmed(publisher):
    room = CONFIG["trimRoom"]
    channel = f"room:{room}"
    ids = [publisher.message(room, n) for n in range(20)]
    publisher.redis.xtrim(f"chat:{channel}:log", maxlen=5, approximate=False)
    client = (await Client("trimmed", CONFIG["token2"], source=CONFIG["source"]).open()).start_reading()
    await client.send({"type": "resume", "since": {channel: ids[4]}})       # trimmed past: incomplete
    await client.wait_for(lambda c: sum(f.get("type") == "resumed" for f in c.frames) >= 1)
    await client.send({"type": "resume", "since": {channel: ids[16]}})      # still logged: complete
    await client.wait_for(lambda c: sum(f.get("type") == "resumed" for f in c.frames) >= 2)
    await client.close()
    return {"published": ids, "frames": client.frames}


async def main():
    publisher = Publisher()
    for user, room in [(CONFIG["userId"], CONFIG["room"]), (CONFIG["userId2"], CONFIG["trimRoom"])]:
        publisher.join(user, room)
    return {"burst": await lost_during_burst(publisher), "trim": await trimmed(publisher)}


run(main)
