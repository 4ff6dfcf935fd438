"""A local stand-in for the ClinicalTrials.gov API v2, shared by the registry tests
(``test_registry_fetch``, ``test_registry_search``): a request handler that answers JSON and a
server on a free local port.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    """A handler whose subclasses answer with :meth:`send_json` (and stay quiet in the log)."""

    def send_json(self, body: bytes) -> None:
        """Answer 200 with ``body`` as application/json."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free local port; yields the API's base URL (``.../api/v2``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    finally:
        server.shutdown()


def closed_port_url() -> str:
    """An API base URL on a local port nothing listens on (an unreachable registry)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v2"
