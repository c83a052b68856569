"""SIGTERM to the relays: every connected client gets a close frame with 1001."""
from relaylib import CONFIG, Client, run, step


async def main():
    clients = [(await Client(f"c{i}", c["token"], source=c["source"]).open()).start_reading()
               for i, c in enumerate(CONFIG["clients"])]
    step("connected")
    for c in clients:
        await c.wait_closed(timeout=15)
    return {"clients": [c.summary() for c in clients]}


run(main)
