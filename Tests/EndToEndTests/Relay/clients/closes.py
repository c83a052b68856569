"""session.revoked closes that session's connections with 4002 (others stay, and the session
can no longer connect); user.deleted closes the user's remaining connections with 4003."""
from relaylib import CONFIG, Client, Publisher, run, upgrade_status


async def main():
    publisher = Publisher()
    user = CONFIG["userId"]
    revoked = (await Client("revoked", CONFIG["revokedToken"], source=CONFIG["sources"][0]).open()).start_reading()
    kept = (await Client("kept", CONFIG["keptToken"], source=CONFIG["sources"][1]).open()).start_reading()
    revocation = publisher.publish(f"user:{user}", "session.revoked", {"sid": CONFIG["revokedSid"]})
    await revoked.wait_closed()
    later = publisher.publish(f"user:{user}", "friend.added", {"userId": 1})
    await kept.wait_for(lambda c: later in c.ids())
    reconnect = await upgrade_status(token=CONFIG["revokedToken"], source=CONFIG["sources"][0])
    deletion = publisher.publish(f"user:{user}", "user.deleted", {"userId": user})
    await kept.wait_closed()
    return {"revocation": revocation, "later": later, "deletion": deletion, "reconnect": reconnect,
            "revoked": revoked.summary(), "kept": kept.summary()}


run(main)
