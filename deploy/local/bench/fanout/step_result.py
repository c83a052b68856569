"""Turns one measured step of bench-fanout.sh into a JSON line (stdout) and a readable line (stderr).

usage: step_result.py SIDE CONNECTIONS ROOMS RATE CLK_TCK CPU0 CPU1 RSS0_KIB RSS1_KIB PUBLISH_JSON WSLOAD_JSON...

Several WSLOAD_JSON arguments (one per load-client process) are merged: counts add up, and
the latency percentiles are the worst process's (a bound, since each histogram stays private).
PUBLISH_JSON is "-" for an idle step; FANOUT_FRESH=1 says the server had served no one before (its
RSS figure counts); FANOUT_CLIENT_TICKS: the load clients' CPU ticks over the window;
FANOUT_USER_TICKS: the server's user-mode share of CPU1 - CPU0 (the rest is the kernel's; the
kernel splits the two by sampling at its tick, so one step's split scatters, the sum does not).
Deliveries are the frames carrying the publisher's "t" (welcome and other frames excluded);
expected = events sent x members per room.
"""
import json
import os
import sys


def main() -> None:
    if len(sys.argv) < 12:
        sys.exit("step_result.py: too few arguments (see the docstring)")
    side, conns, rooms, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    tick, cpu0, cpu1, rss0, rss1 = (float(x) for x in sys.argv[5:10])
    published = None if sys.argv[10] == "-" else json.loads(sys.argv[10])
    loads = [json.loads(text) for text in sys.argv[11:]]
    opened = sum(w["open"] for w in loads)
    failed = sum(w["failed"] for w in loads)
    delivered = sum(w["lat_n"] for w in loads)
    result = {
        "side": side, "connections": conns, "rooms": rooms, "rate": rate,
        "open": opened, "failed": failed, "closes": sum(w["closes"] for w in loads),
        "connect_s": max(w["connect_s"] for w in loads),
        "idle_rss_kib": [int(rss0), int(rss1)],
        "idle_kib_per_connection": round((rss1 - rss0) / max(1, opened), 2),
        # The RSS figure means something only for a process that had served nobody before.
        "fresh": os.environ.get("FANOUT_FRESH") == "1",
    }
    if published is not None:
        cpu = (cpu1 - cpu0) / tick
        user = int(os.environ.get("FANOUT_USER_TICKS", "0")) / tick
        expected = published["sent"] * (conns // rooms)
        result.update({
            "published": published["sent"], "publish_s": published["seconds"],
            "deliveries": delivered, "expected": expected,
            "delivered_fraction": round(delivered / expected, 4) if expected else None,
            "deliveries_per_s": round(delivered / published["seconds"]),
            "cpu_s": round(cpu, 2),
            # The load clients' own CPU over the same window, to see whether they, rather
            # than the server, were the limit (one wsload process uses one core at most).
            "client_cpu_s": round(int(os.environ.get("FANOUT_CLIENT_TICKS", "0")) / tick, 2),
            "deliveries_per_cpu_s": round(delivered / cpu) if cpu > 0 else None,
            "cpu_us_per_delivery": round(cpu * 1e6 / delivered, 2) if delivered else None,
            # User mode is what the server's own code costs; system mode is mostly the kernel's
            # send path (on loopback it includes the client's TCP receive, run by the sender).
            "user_cpu_s": round(int(os.environ.get("FANOUT_USER_TICKS", "0")) / tick, 2),
            "user_us_per_delivery": round(user * 1e6 / delivered, 2) if delivered else None,
            "p50_ms": max(w["p50_ms"] for w in loads) if delivered else None,
            "p99_ms": max(w["p99_ms"] for w in loads) if delivered else None,
            "p999_ms": max(w["p999_ms"] for w in loads) if delivered else None,
        })
        line = (f"  {side:<9} {conns:>6} conns {rate:>5} ev/s: {result['deliveries_per_s']:>8,} deliveries/s "
                f"({result['delivered_fraction']:.1%} of expected), p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
                f"CPU {result['cpu_s']} s -> {result['deliveries_per_cpu_s']:,} deliveries/CPU-s "
                f"({result['cpu_us_per_delivery']} us each, {result['user_us_per_delivery']} in user mode), client CPU {result['client_cpu_s']} s; open {opened}, failed {failed}, connect {result['connect_s']} s")
    else:
        line = (f"  {side:<9} {conns:>6} conns idle: RSS {int(rss0):,} -> {int(rss1):,} KiB = "
                f"{result['idle_kib_per_connection']} KiB per connection; open {opened}, failed {failed}, "
                f"connect {result['connect_s']} s")
    print(json.dumps(result))
    print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
