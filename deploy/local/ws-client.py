#!/usr/bin/env python3
"""A tiny WebSocket client for demo.sh and bench scripts (the project's .venv, `websockets`):
connects to URL (optionally from a given loopback source address), prints the upstream nginx
chose (X-Upstream) and then each text frame received, one per line, until COUNT frames after
the first or TIMEOUT seconds. Exit status 1 if fewer frames arrived than asked."""
import argparse, asyncio, sys

import websockets
from websockets.asyncio.client import connect


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--source", help="local address to connect from, e.g. 127.0.0.2")
    parser.add_argument("--count", type=int, default=0, help="frames to wait for after the first")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    extra = {"local_addr": (args.source, 0)} if args.source else {}
    try:
        async with connect(args.url, open_timeout=args.timeout, **extra) as ws:
            print(f"upstream {ws.response.headers.get('X-Upstream', '?')}", flush=True)
            for _ in range(1 + args.count):
                frame = await asyncio.wait_for(ws.recv(), args.timeout)
                print(frame, flush=True)
    except (asyncio.TimeoutError, TimeoutError):
        print("timeout: no further frame", file=sys.stderr)
        return 1
    except websockets.exceptions.InvalidStatus as error:
        print(f"refused: HTTP {error.response.status_code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
