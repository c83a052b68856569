"""Client messages across the two relays: `typing` from a member reaches the other members on
either instance (through Redis, never logged), a non-member's gets an error and keeps its
connection; `ping` answers `pong`; a fresh `auth` token is accepted, malformed JSON is an error."""
import asyncio

from relaylib import CONFIG, Client, Publisher, relay_metric, run

OPEN = "chat_relay_open_connections"


async def placed(name, token, source):
    """Opens a client and returns it with the index of the relay that took it."""
    before = [relay_metric(p, OPEN) for p in CONFIG["relayPorts"]]
    client = await Client(name, token, source=source).open()
    after = [relay_metric(p, OPEN) for p in CONFIG["relayPorts"]]
    return client.start_reading(), [i for i, (a, b) in enumerate(zip(after, before)) if a > b]


async def main():
    publisher = Publisher()
    room = CONFIG["room"]
    log = f"chat:room:{room}:log"
    sender_user, listeners = CONFIG["sender"], CONFIG["listeners"]
    for user in [sender_user] + listeners:
        publisher.join(user["userId"], room)
    sender, sender_relay = await placed("sender", sender_user["token"], sender_user["source"])
    # Listeners from further addresses until one sits on the other relay.
    others, placement = [], {}
    for i, user in enumerate(listeners):
        client, where = await placed(f"listener{i}", user["token"], user["source"])
        others.append(client)
        placement[client.name] = where
        if any(w != sender_relay for w in placement.values()):
            break
    outsider = (await Client("outsider", CONFIG["outsider"]["token"], source=CONFIG["outsider"]["source"]).open()).start_reading()
    logged_before = publisher.redis.xlen(log)

    await sender.send({"type": "typing", "roomId": room})
    for c in others:
        await c.wait_for(lambda c: any(f.get("type") == "typing" for f in c.frames))
    await outsider.send({"type": "typing", "roomId": room})            # not a member: not_member
    await outsider.send({"type": "ping"})                               # pong
    await outsider.send({"type": "auth", "token": CONFIG["outsider"]["freshToken"]})   # accepted: silent
    await outsider.send({"type": "auth", "token": "not-a-token"})       # invalid_token
    await outsider.send({"type": "teleport"})                           # unknown_type
    await outsider.ws.send("{not json")                                 # malformed_json
    await outsider.wait_for(lambda c: sum(f.get("type") == "error" for f in c.frames) >= 4)
    await asyncio.sleep(0.3)                                            # nothing else should come
    result = {"senderRelay": sender_relay, "placement": placement, "sender": sender.summary(),
              "listeners": [c.summary() for c in others], "outsider": outsider.summary(),
              "loggedBefore": logged_before, "loggedAfter": publisher.redis.xlen(log)}
    for c in [sender, outsider] + others:
        await c.close()
    return result


run(main)
