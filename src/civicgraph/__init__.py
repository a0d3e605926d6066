"""civicgraph: a knowledge graph of the public-technology landscape."""


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed package when it is first asked for:
    reading package metadata costs a tenth of a second, and every helper process the
    store starts imports this package without needing it."""
    if name != "__version__":
        raise AttributeError(f"module 'civicgraph' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("civicgraph")
    except PackageNotFoundError:  # running from a checkout without installation
        return "0.0.0"
