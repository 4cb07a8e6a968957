"""``python -m emulators.graph [--port N]``: serve until interrupted; prints the URL first."""

from __future__ import annotations

import argparse
import sys

from .server import EmulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.graph",
                                     description="Microsoft Graph v1.0 emulator (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    args = parser.parse_args(argv)
    server = EmulatorServer(args.port)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
