"""room.joined / room.left on the user channel move the user's live connections (two of them,
from two client addresses) into and out of a room without reconnecting."""
import asyncio

from relaylib import CONFIG, Client, Publisher, run


async def main():
    publisher = Publisher()
    user, room = CONFIG["userId"], CONFIG["room"]
    channel = f"room:{room}"
    clients = [(await Client(f"c{i}", CONFIG["token"], source=s).open()).start_reading()
               for i, s in enumerate(CONFIG["sources"])]
    before = publisher.message(room, 0)                 # not a member yet: never delivered
    # The relay catches a live join up from the join's millisecond: keep `before` out of it.
    await asyncio.sleep(0.01)
    joined = publisher.join(user, room)
    for c in clients:
        await c.wait_for(lambda c: joined in c.ids(f"user:{user}"))
    inside = [publisher.message(room, n) for n in range(1, 4)]
    for c in clients:
        await c.wait_for(lambda c: len(c.ids(channel)) >= len(inside))
    left = publisher.leave(user, room)
    for c in clients:
        await c.wait_for(lambda c: left in c.ids(f"user:{user}"))
    after = publisher.message(room, 4)                  # left: never delivered
    sentinel = publisher.publish(f"user:{user}", "friend.added", {"userId": 1})
    for c in clients:
        await c.wait_for(lambda c: sentinel in c.ids(f"user:{user}"))
    await asyncio.sleep(0.3)
    members = publisher.redis.smembers(f"chat:user:{user}:rooms")
    result = {"before": before, "joined": joined, "inside": inside, "left": left, "after": after,
              "sentinel": sentinel, "clients": [c.summary() for c in clients],
              "setAfterLeave": sorted(int(m) for m in members)}
    for c in clients:
        await c.close()
    return result


run(main)
