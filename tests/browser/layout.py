"""Layout measures shared by the browser tests."""

from playwright.sync_api import Page


def sideways_overflow(page: Page) -> int:
    """Pixels the page scrolls sideways, measured once its stylesheets apply.

    A layout read before the load event can see the page unstyled (a busy machine
    serves the stylesheet late), where long IRIs do not wrap yet.
    """
    page.wait_for_load_state("load")
    # The viewport asked for, not ``innerWidth``: a mobile browser widens its viewport
    # to fit a page that overflows, so the two would match.
    wide = page.viewport_size["width"] if page.viewport_size else 0
    return int(page.evaluate("document.documentElement.scrollWidth")) - wide
