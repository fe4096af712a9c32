import os
import shutil

import pytest

from harness import Server


@pytest.fixture
def make_server():
    """Factory: make_server(template, ports=[...]) → a started Server, stopped after the test."""
    servers = []

    def factory(template, ports=("smtp",), udp_ports=(), extra=None, start=True, setup=None):
        server = Server(template, ports=ports, udp_ports=udp_ports, extra=extra)
        servers.append(server)
        if setup:
            setup(server)
        if start:
            server.start()
        return server

    yield factory
    for server in servers:
        server.stop()
        for cleanup in getattr(server, "cleanups", ()):
            cleanup()
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(server.dir, ignore_errors=True)
