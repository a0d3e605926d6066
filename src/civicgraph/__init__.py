"""civicgraph: a knowledge graph of the public-technology landscape."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("civicgraph")
except PackageNotFoundError:  # running from a checkout without installation
    __version__ = "0.0.0"
