"""Layout measures shared by the browser tests."""

import base64

from playwright.sync_api import Locator, Page


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


#: Mean brightness (0-255) of a strip ``width`` pixels wide at the left and the right
#: edge of a PNG, read by the page itself (it decodes images; the tests do not).
_EDGES = """async ([png, width]) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width; canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const mean = (x) => {
    const data = context.getImageData(x, 0, width, image.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += (data[i] + data[i + 1] + data[i + 2]) / 3;
    return sum / (data.length / 4);
  };
  return [mean(0), mean(image.width - width)];
}"""


def edge_brightness(page: Page, element: Locator, width: int = 6) -> tuple[float, float]:
    """How bright the left and the right edge of ``element`` are as drawn."""
    png = base64.b64encode(element.screenshot()).decode("ascii")
    left, right = page.evaluate(_EDGES, [png, width])
    return float(left), float(right)
