"""``python -m devtools.fake_crm``: serve a synthetic CRM until SIGINT or SIGTERM.

Prints the base URL alone on stdout (so a script can read it, also when ``--port 0`` picked the
port) and one summary line on stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import date, datetime

from .server import DEFAULT_TOKEN, FakeCRMServer, PortInUseError
from .world import DEFAULT_NOW, DEFAULT_START, World


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fake_crm", description="Serve a seeded synthetic CRM over HTTP."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--participants", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        help="first arrivals (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--now",
        type=_instant,
        default=DEFAULT_NOW,
        help="the world's clock, ISO-8601 UTC (default %(default)s)",
    )
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    world = World(seed=args.seed, participants=args.participants, start=args.start, now=args.now)
    elapsed = time.perf_counter() - began
    server = FakeCRMServer(
        world, token=args.token, host=args.host, port=args.port, log_requests=args.log_requests
    )
    try:
        url = server.start()
    except PortInUseError as exc:
        print(f"faux CRM : échec : le port {exc.host}:{exc.port} est déjà occupé — arrêtez le "
              "programme qui l'occupe (un autre make demo ou make ui ?) ou choisissez un autre "
              "port (--port 0 en prend un libre)", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(url, flush=True)
    counts = world.counts()
    print(
        f"fake CRM: {counts['participants']} participants, {counts['activities']} activities "
        f"(generated in {elapsed:.1f} s), now {world.now.isoformat()}, serving {url}",
        file=sys.stderr,
        flush=True,
    )
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
