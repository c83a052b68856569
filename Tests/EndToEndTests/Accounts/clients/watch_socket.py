"""Connects to the relay with a token, prints every text frame as a line, then `CLOSE <code>`.

Usage: watch_socket.py URL TOKEN SECONDS
Prints `READY` after the welcome frame, so the caller knows when to act.
"""
import asyncio
import sys

import websockets
from websockets.asyncio.client import connect


async def main(url: str, token: str, seconds: float) -> None:
    try:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                                      open_timeout=10) as socket:
            async def read() -> None:
                async for frame in socket:
                    print(frame, flush=True)
                    if '"type":"welcome"' in frame:
                        print("READY", flush=True)
            try:
                await asyncio.wait_for(read(), timeout=seconds)
            except asyncio.TimeoutError:
                print("TIMEOUT", flush=True)
                return
            except websockets.exceptions.ConnectionClosed:
                pass  # a close code other than 1000/1001 ends the iteration this way
            print(f"CLOSE {socket.protocol.close_code}", flush=True)
    except websockets.exceptions.InvalidStatus as refused:
        print(f"REFUSED {refused.response.status_code}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
