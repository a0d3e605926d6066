"""Allows `python -m civicgraph`, which tests use to start real server processes."""

from civicgraph.cli import run

run()
