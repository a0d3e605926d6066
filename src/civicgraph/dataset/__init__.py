"""The data's lifecycle: loading, validation, export, catalog, stats, versions."""
