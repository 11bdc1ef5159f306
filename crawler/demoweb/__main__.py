"""``python -m crawler.demoweb``: serve the demo web until interrupted (to look at it in a browser)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading

from .catalog import HOSTS
from .server import DemoWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demoweb", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="first port (host i gets PORT+i); 0: ephemeral")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds of delay per response")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with DemoWeb(base_port=args.port, latency=args.latency) as web:
        for host in HOSTS:
            print(f"{host:10} {web.base_url(host)}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
