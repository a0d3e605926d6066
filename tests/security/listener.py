"""A TCP listener on loopback that records every connection, to prove none is made."""

import socket
import threading
import time


class Listener:
    """A TCP listener on loopback that records every connection it accepts."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.1)
        self.port: int = self.socket.getsockname()[1]
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, address = self.socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(0.5)
                try:
                    first = connection.recv(200)
                except OSError:
                    first = b""
                self.seen.append(f"{address}: {first!r}")

    def close(self) -> None:
        """Stop accepting (after a moment, so a late connection is still recorded)."""
        time.sleep(0.3)
        self._stop.set()
        self._thread.join()
        self.socket.close()
