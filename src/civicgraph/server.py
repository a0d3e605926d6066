"""Runs the web application under gunicorn, the production WSGI server.

The store is opened inside the worker, never in the master: pyoxigraph's database
threads do not survive ``fork``. One worker process owns the store and serves
requests on several threads; CPU-heavy query work is spread over the machine's
cores by the query-worker pool inside the application.
"""

import os
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from civicgraph.config import Settings
from civicgraph.loader import LoadReport, load_bundled
from civicgraph.store import open_store
from civicgraph.webapp import create_app
from civicgraph.webapp.state import current_store


def prepare_store(settings: Settings, report: Any = None) -> list[LoadReport]:
    """Load or refresh the bundled data before serving, then release the store."""
    if not settings.load_bundled:
        return []
    store = open_store(settings)
    try:
        return load_bundled(store, on_file=report)
    finally:
        store.close()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """A gunicorn application whose WSGI app is built by ``create_app`` in the worker."""

    def __init__(self, settings: Settings, threads: int) -> None:
        self.settings, self.threads = settings, threads
        self.app: Flask | None = None
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self.threads)
        self.cfg.set("timeout", max(60, int(self.settings.query_timeout * 3)))
        self.cfg.set("accesslog", "-")
        self.cfg.set("limit_request_line", 8190)
        self.cfg.set("worker_exit", self._worker_exit)
        if "control_socket_disable" in self.cfg.settings:
            # One fixed control socket per user would make concurrent servers collide.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        self.app = create_app(self.settings)
        return self.app

    def _worker_exit(self, _arbiter: Any, _worker: Any) -> None:
        """In the worker, as it exits: close the store, then leave without C++ teardown.

        Closing stops the query workers and shuts the database down in order. The
        master opened the store once before forking (``prepare_store``), so the
        worker inherits the database library's global thread pool without its
        threads; that pool's exit-time destructor then waits forever for them (or
        crashes). ``os._exit`` skips it; everything worth keeping is closed by now.
        """
        if self.app is not None:
            current_store(self.app).close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def serve(settings: Settings, threads: int = 8) -> None:
    """Serve until interrupted."""
    _Gunicorn(settings, threads).run()
