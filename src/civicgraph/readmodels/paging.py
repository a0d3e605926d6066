"""Pages of a list whose total is known: every list a page shows in parts says how
many there are, so that nothing is cut off silently."""


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` items fill at ``per_page`` a page (at least one)."""
    return max(1, -(-total // per_page))
