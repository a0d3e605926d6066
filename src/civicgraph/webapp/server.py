"""Runs the web application under gunicorn, the production WSGI server.

The store is opened inside the worker, never in the master: pyoxigraph's database
threads do not survive ``fork``. The worker leaves the network as it starts
(``store/isolation.py``), so nothing it parses or evaluates can connect anywhere.
One worker process owns the store and serves requests on several threads; CPU-heavy
query work is spread over the machine's cores by the query-worker pool inside the
application.
"""

import multiprocessing
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from civicgraph.config import Settings
from civicgraph.dataset.loader import LoadReport, load_bundled
from civicgraph.errors import CivicgraphError, StoreError
from civicgraph.store import open_store
from civicgraph.store.isolation import Isolation, isolate_network
from civicgraph.webapp import create_app
from civicgraph.webapp.state import current_store


def _load_bundled_into(settings: Settings) -> None:
    """Run in a child process: open the store, load what changed, report each file."""
    store = open_store(settings)
    try:
        load_bundled(store, on_file=_report)
    except CivicgraphError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        store.close()


def _report(report: LoadReport) -> None:
    state = "unchanged" if report.skipped else f"{report.triples:,} triples"
    print(f"  {report.path.name}: {state}", file=sys.stderr)


def prepare_store(settings: Settings) -> None:
    """Load or refresh the bundled data before serving, in a child process.

    The gunicorn master forks its worker; had the master opened the database itself,
    the worker would inherit pyoxigraph's thread pools without their threads. A
    spawned child keeps the master free of the database altogether.
    """
    if not settings.load_bundled:
        return
    child = multiprocessing.get_context("spawn").Process(
        target=_load_bundled_into, args=(settings,)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise StoreError("Loading the bundled data failed; the message above says why")


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
        self.cfg.set("post_fork", self._post_fork)
        self.cfg.set("worker_exit", self._worker_exit)
        if "control_socket_disable" in self.cfg.settings:
            # One fixed control socket per user would make concurrent servers collide.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        self.app = create_app(self.settings)
        return self.app

    def _post_fork(self, _arbiter: Any, worker: Any) -> None:
        """In the worker, before it has a thread or the store: leave the network.

        The worker parses uploaded RDF and evaluates queries over an in-memory store;
        the query workers it starts inherit its namespace. A remote store needs the
        network, so then the SERVICE/LOAD check on the text is the only guard.
        """
        if self.settings.is_remote:
            isolation = Isolation(False, "the store is remote; SERVICE and LOAD are refused")
        else:
            isolation = isolate_network()
        worker.log.info(isolation.describe())

    def _worker_exit(self, _arbiter: Any, _worker: Any) -> None:
        """In the worker, as it exits: stop the query workers and close the database."""
        if self.app is not None:
            current_store(self.app).close()


def serve(settings: Settings, threads: int = 8) -> None:
    """Serve until interrupted."""
    _Gunicorn(settings, threads).run()
