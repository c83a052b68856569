"""Room fan-out across both relay instances: members (spread over client addresses until both
relays hold some) get each room event exactly once and in order; non-members get none."""
import asyncio

from relaylib import CONFIG, Client, Publisher, relay_metric, run

OPEN = "chat_relay_open_connections"


async def main():
    publisher = Publisher()
    room, other = CONFIG["room"], CONFIG["otherRoom"]
    members, outsiders = CONFIG["members"], CONFIG["outsiders"]
    for member in members:
        publisher.join(member["userId"], room)
    for outsider in outsiders:
        publisher.join(outsider["userId"], other)

    ports = CONFIG["relayPorts"]
    clients, placement = [], {}
    for index, member in enumerate(members):
        before = [relay_metric(p, OPEN) for p in ports]
        client = await Client(f"member{index}", member["token"], source=member["source"]).open()
        after = [relay_metric(p, OPEN) for p in ports]
        placement[client.name] = [i for i in range(len(ports)) if after[i] > before[i]]
        clients.append(client.start_reading())
    lurkers = [(await Client(f"outsider{i}", o["token"], source=o["source"]).open()).start_reading()
               for i, o in enumerate(outsiders)]

    published = [publisher.message(room, n) for n in range(CONFIG["count"])]
    other_ids = [publisher.message(other, n) for n in range(3)]
    for client in clients:
        await client.wait_for(lambda c: len(c.ids(f"room:{room}")) >= len(published), timeout=15)
    for lurker in lurkers:
        await lurker.wait_for(lambda c: len(c.ids(f"room:{other}")) >= len(other_ids), timeout=10)
    await asyncio.sleep(0.3)  # time for a duplicate to show up
    result = {"published": published, "otherPublished": other_ids, "placement": placement,
              "members": [c.summary() for c in clients], "outsiders": [c.summary() for c in lurkers]}
    for client in clients + lurkers:
        await client.close()
    return result


run(main)
