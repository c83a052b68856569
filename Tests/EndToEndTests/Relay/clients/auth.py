"""Upgrade attempts through nginx: every bad token is refused with HTTP 401 before the upgrade,
a revoked session too (revoked by publishing session.revoked, whose script sets the key)."""
from relaylib import CONFIG, Client, Publisher, run, upgrade_status


async def main():
    statuses = {}
    for case in CONFIG["refused"]:
        statuses[case["name"]] = await upgrade_status(token=case.get("token"), query=case.get("query"))
    # The good token works by header and by ?token= (browsers).
    header = await Client("header", CONFIG["good"]).open()
    query = await Client("query", CONFIG["good"], query_token=True).open()
    welcomes = [header.welcome, query.welcome]
    await header.close()
    await query.close()
    # Revocation: accepted before, refused after the event's script stored chat:revoked:sid:{sid}.
    revoked = CONFIG["revoked"]
    before = await upgrade_status(token=revoked["token"])
    Publisher().publish(f"user:{revoked['userId']}", "session.revoked", {"sid": revoked["sid"]})
    after = await upgrade_status(token=revoked["token"])
    return {"statuses": statuses, "welcomes": welcomes, "revokedBefore": before, "revokedAfter": after}


run(main)
