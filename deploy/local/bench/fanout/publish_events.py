"""Publishes contract envelopes (CONTRACT.md "Events") to the room channels at a fixed rate.

usage: publish_events.py ROOMS RATE SECONDS   (env: REDIS_PORT, BODY = padding bytes, default 60)

The relay re-encodes the envelope it forwards and keeps only the contract's fields, so the
send time travels inside `data` as "t":<unix ns>, where the load client (wsload) finds it.
Ids are "<unix ms>-<n>" with one counter for the run: strictly increasing within every
channel, and past whatever an earlier run published. Nothing is XADDed to the logs: this
measures live fan-out only. Prints one JSON line: what was sent and over how long.
"""
import json
import os
import sys
import time

import redis


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit("usage: publish_events.py ROOMS RATE SECONDS")
    rooms, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    if rooms < 1 or rate < 1 or seconds <= 0:
        sys.exit("publish_events.py: ROOMS and RATE must be positive, SECONDS above 0")
    client = redis.Redis(host="127.0.0.1", port=int(os.environ.get("REDIS_PORT", "6379")))
    client.ping()
    pad = "x" * int(os.environ.get("BODY", "60"))
    # One pipeline every 10 ms keeps the rate even without a round trip per event.
    batch = max(1, rate // 100)
    sent = 0
    start = time.time()
    while time.time() - start < seconds:
        pipe = client.pipeline(transaction=False)
        for _ in range(batch):
            sent += 1
            room = sent % rooms + 1
            now_ns = time.time_ns()
            envelope = ('{"v":1,"id":"%d-%d","channel":"room:%d","type":"message.created","roomId":%d,'
                        '"occurredAt":"bench","data":{"body":"%s","t":%d}}'
                        % (now_ns // 1_000_000, sent, room, room, pad, now_ns))
            pipe.publish(f"chat:room:{room}", envelope)
        pipe.execute()
        ahead = sent / rate - (time.time() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": sent, "seconds": round(time.time() - start, 3)}))


if __name__ == "__main__":
    main()
