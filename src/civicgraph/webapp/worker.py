"""How a serving process handles a connection: one request at a time, kept alive between.

``ServingWorker`` is gunicorn's sync worker with three changes, each measured on the
cheap query: a response's head goes out with its body in one segment; the close
does not wait a round trip for the client when the request was read whole; and a
connection the client wants kept open goes to the master's keeper
(``webapp/keeper.py``) after the answer instead of being closed (once other work
comes, or ``KEPT_SECONDS`` pass with none), and comes back to whichever serving
process is free when the client sends again.

It reads a request only once it has arrived (``webapp/arrival.py``): a new
connection whose request is not there within ``LINGER_SECONDS`` goes to the keeper
as an idle one does, and comes back with what the keeper read of its body
(``webapp/incoming.py``). As a second guarantee, the reads of a request's head
together wait at most ``HEAD_SECONDS``, and so do the reads of the part of its body
that the keeper gathers, so that a request this process started to read in spite of
the keeper (one whose framing the keeper read otherwise than gunicorn does) cannot
hold it longer.
Nor does it wait for a client to read its answer: once the client stops reading,
the rest goes to the keeper (``webapp/outgoing.py``).
"""

import contextlib
import errno
import os
import queue
import select
import signal
import socket
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, Final

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker

from civicgraph.webapp.arrival import Arrival
from civicgraph.webapp.fastpath import plain_query
from civicgraph.webapp.incoming import CONTINUE
from civicgraph.webapp.keeper import Handoff
from civicgraph.webapp.outgoing import STALLED_SECONDS, Spool, send_or_spool
from civicgraph.webapp.plainhttp import HEAD_BYTES, PlainRequest, PlainResponse
from civicgraph.webapp.refusal import write_parser_error

#: A body up to this size goes out in one piece with its response's head.
COALESCE_BYTES: Final = 64 * 1024
#: How long a serving process waits for a new connection's request itself before
#: passing the connection to the master, seconds.
LINGER_SECONDS: Final = 0.002
#: How long a serving process with nothing else to do waits for the next request on
#: the connection it answered before passing it to the master, seconds. Any other
#: work (a new connection, a kept one coming back, a signal) ends the wait at once.
KEPT_SECONDS: Final = 1.0
#: How many requests in a row a serving process takes from one connection while other
#: clients wait: a few save the round trip through the master, more would be unfair.
IN_A_ROW: Final = 8
#: The signal that asks a serving process to give way to a new one: it ends its
#: request, passes a kept connection to the keeper instead of closing it, and exits.
RETIRE: Final = signal.SIGUSR2
#: The longest the reads of a request's head may wait for the client together,
#: seconds. A head that arrived whole (the usual case) is read without waiting.
HEAD_SECONDS: Final = 1.0
#: How often a serving process reports to the master at most, seconds. The master
#: waits minutes for a report (gunicorn's timeout); a report is a system call, which
#: gunicorn makes before every connection and this process before every request.
REPORT_SECONDS: Final = 1.0


class ClientSocket:
    """A client socket that sends a response in one piece and closes without waiting.

    gunicorn writes a response's head and its body with two calls, which costs two
    segments and two wake-ups of the client for a small answer: the head is held here
    and sent with the body. gunicorn then half-closes the connection and waits for
    the client to close its side, so that unread request bytes cannot turn the close
    into a reset; when the request was read to its end (``read_whole``) and nothing
    is left unread, that wait only holds the serving process idle for a round trip,
    and ``recv`` after the half-close reports the end at once instead. Otherwise (a
    body was not read to its end, or bytes are unread) the keeper waits for the
    client's end (``webapp/outgoing.py``), and the serving process goes on at once;
    gunicorn drains here only without a keeper. A connection marked ``keep``
    whose client sends again within ``KEPT_SECONDS`` is served again here
    (``reused``), unless other clients wait (``others``) and this connection had its
    ``IN_A_ROW`` turns (``turn``); it is passed to the master as soon as other work
    comes first or that time passes. So a client that pauses between its requests
    reaches the process that answered it directly, one wake-up less each time, and a
    kept connection still never waits behind another client's evaluation.
    """

    def __init__(
        self,
        sock: socket.socket,
        handoff: Handoff | None,
        others: Sequence[Any] = (),
        turn: int = 0,
    ) -> None:
        self._sock, self._handoff, self._others, self._done = sock, handoff, others, False
        self._turn = turn
        self._head: bytes | None = None
        self._unread = b""
        self._first = True
        #: Set once the answer is sent, when the connection may serve another request.
        self.keep = False
        #: Whether this process may wait for the next request itself (``KEPT_SECONDS``).
        self.linger = True
        #: Set at the close when the client's next request is already here.
        self.reused = False
        #: Set once the request was read to its end: then the close need not drain.
        self.read_whole = False
        self._given = False
        #: Where the rest of the answer goes once the client stopped reading.
        self._spool: Spool | None = None
        #: When reading the request's head, then its gathered body, must have ended
        #: (``HEAD_SECONDS``).
        self._head_by: float | None = time.monotonic() + HEAD_SECONDS
        #: The bytes of the body still to read by ``_head_by`` (None while in the head).
        self._gathered: int | None = None

    @property
    def socket(self) -> socket.socket:
        """The client socket itself."""
        return self._sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        """Set the socket's timeout, unless it serves on (here or elsewhere).

        gunicorn's close sets a short timeout for draining; a connection that is kept
        must not carry it into its next request, in this process or another.
        """
        if not (self.reused or self._given):
            self._sock.settimeout(value)

    def sendall(self, data: bytes) -> None:
        """Send; the first call (the head) waits for the next (the body), or the close."""
        if self._first:
            self._first, self._head = False, bytes(data)
            return
        head, self._head = self._head, None
        if head is not None and len(data) <= COALESCE_BYTES:
            data = head + data
        elif head is not None:
            self.send_answer(head)
        self.send_answer(data)

    def send_answer(self, data: bytes) -> None:
        """Send (part of) the answer, or spool it once the client stopped reading."""
        if self._handoff is None:
            self._sock.sendall(data)
        else:
            self._spool = send_or_spool(self._sock, data, self._spool)

    def _flush(self) -> None:
        head, self._head = self._head, None
        if head is not None:
            self.send_answer(head)

    def shutdown(self, how: int) -> None:
        """Half-close, or pass the connection on: kept, with a spooled answer, or to be
        ended by the keeper, which waits for the client's end (bytes may be unread)."""
        self._flush()
        if self._spool is not None and self._passed_on(self._spool):
            return
        if self.keep and self.linger and self._next_request_first():
            self.reused = self._done = True
            return
        if self.keep and self._handoff is not None and self._handoff.give(self._sock):
            self._given = self._done = True
            return
        self._sock.setblocking(False)  # a timeout (a body's pause limit) would make it wait
        try:
            ended = not self._sock.recv(1, socket.MSG_PEEK)  # the client closed its side
        except BlockingIOError:  # nothing unread now; more is coming if the body was not read
            ended = self.read_whole
        except OSError:
            ended = False
        if not ended and self._handoff is not None and self._handoff.give_answer(self._sock, None):
            self._given = self._done = True  # the keeper waits for the client's end
            return
        self._sock.shutdown(how)
        self._done = ended

    def _passed_on(self, spool: Spool) -> bool:
        """Pass the connection and its answer's rest to the keeper, where the connection
        ends. Should the channel fail, the rest is sent from here (False), waiting at
        most ``STALLED_SECONDS`` for the client to read."""
        self._spool, self.keep = None, False
        try:
            if self._handoff is not None and self._handoff.give_answer(self._sock, spool.fd):
                self._given = self._done = True
                return True
            self._sock.settimeout(STALLED_SECONDS)
            with os.fdopen(os.dup(spool.fd), "rb") as rest:
                self._sock.sendfile(rest)
            return False
        finally:
            spool.close()

    def _next_request_first(self) -> bool:
        """Whether the client sent its next request whole within the linger, and may be
        served first."""
        ready, _, _ = select.select([self._sock, *self._others], [], [], KEPT_SECONDS)
        first = self._sock in ready and (len(ready) == 1 or self._turn < IN_A_ROW)
        arrival = self._handoff.arrival if self._handoff else Arrival()
        return first and arrival.arrived(self._sock)

    def close(self) -> None:
        """Send what is held, then close this process's copy (unless it serves again)."""
        try:
            self._flush()
        finally:
            if not self.reused:
                self._sock.close()

    def recv(self, size: int, flags: int = 0) -> bytes:
        """Read as the socket does, or report the end once nothing is left to drain.

        Bytes given back with ``unread`` come first, so a request that the plain path
        declined is read by gunicorn from its start. The reads of the head, and then of
        the body's gathered bytes (``head_read``), together wait at most
        ``HEAD_SECONDS``; past it the request ends there.
        """
        if self._unread:
            data, self._unread = self._unread[:size], self._unread[size:]
            return self._counted(data)
        if self._done:
            return b""
        if self._head_by is None:
            return self._sock.recv(size, flags)
        # In a body, the socket keeps its route's pause limit for the reads after;
        # in a head, ``head_read`` sets the socket's own.
        body, timeout = self._gathered is not None, self._sock.gettimeout()
        self._sock.settimeout(max(self._head_by - time.monotonic(), 0.001))
        try:
            data = self._sock.recv(size, flags)
        except TimeoutError:  # read as a client that left: no traceback for each one
            self._done = True
            return b""
        finally:
            if body:
                self._sock.settimeout(timeout)
        return self._counted(data)

    def _counted(self, data: bytes) -> bytes:
        """``data``, counted against the body's gathered bytes (from the keeper's reading
        or the socket alike); once they are read, reads wait as the route says."""
        if self._gathered is not None:
            self._gathered -= len(data)
            self._head_by = self._head_by if self._gathered > 0 else None
        return data

    def head_read(self, gathered: int = 0) -> None:
        """The request's head is read. The next ``gathered`` bytes were there whole when
        it was handed over (the keeper gathered them): reading them waits at most
        ``HEAD_SECONDS`` from now. Later reads wait as the socket's timeout says, none
        at first (a body sets its own limit; an answer may take long)."""
        self._head_by = time.monotonic() + HEAD_SECONDS if gathered > 0 else None
        self._gathered = gathered
        self.settimeout(None)

    def unread(self, data: bytes) -> None:
        """Give back bytes read from the socket, to be read again first."""
        self._unread = data + self._unread

    @property
    def holds_unread(self) -> bool:
        """Whether bytes read from the socket (given back, or the keeper's) are left
        after the request: the start of another one, which the next request on this
        connection would not begin with, since each begins on the socket."""
        return bool(self._unread)


def _socket_error(log: Any, exc: OSError) -> None:
    """Log a socket error as gunicorn does: a client that left is not an error."""
    if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
        log.exception("Socket error processing request.")


def _bodiless(req: Any) -> bool:
    """Whether a request has no body and nothing was read past it (no pipelining)."""
    reader = getattr(req.body, "reader", None)
    bodiless = isinstance(reader, LengthReader) and reader.length == 0
    return bodiless and not req.unreader.buf.getvalue()


def _asks_to_close(req: Any) -> bool:
    """Whether any ``Connection`` header of the request names ``close``, as HTTP/1.1
    reads it (gunicorn reads only the first such header, and only its whole value)."""
    return any(
        name == "CONNECTION" and "close" in (part.strip(" \t").lower() for part in value.split(","))
        for name, value in req.headers
    )


class _ContinueOnRead:
    """A body whose client waits for ``100 Continue``, sent as the application first
    reads it (PEP 3333), not before the application runs as gunicorn sends it.

    A write refused from its head (401 without the token, 413 from its length) is
    then answered before the client sends a byte of the body, instead of after it
    has sent all of it.
    """

    def __init__(self, body: Any, client: ClientSocket, response: Any) -> None:
        self._body, self._client, self._response = body, client, response
        self._asked = False

    def _continue(self) -> None:
        if not self._asked and not self._response.headers_sent:
            self._client.socket.sendall(CONTINUE)
        self._asked = True

    def read(self, size: int | None = None) -> bytes:
        """Read as the body does, once the client was told to send it."""
        self._continue()
        data: bytes = self._body.read(size)
        return data

    def readline(self, size: int | None = None) -> bytes:
        """Read a line as the body does, once the client was told to send it."""
        self._continue()
        data: bytes = self._body.readline(size)
        return data

    def __iter__(self) -> Iterator[bytes]:
        self._continue()
        return iter(self._body)


class ServingWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, one request at a time, connections kept by the master."""

    #: Set by ``RETIRE``: this process ends once its request is answered.
    retiring = False
    #: The signals gunicorn resets as the process starts, but ``RETIRE``: its handler
    #: is set as soon as the process is forked (``listen_for_retire``), so that one
    #: sent meanwhile is not lost.
    SIGNALS = tuple(s for s in SyncWorker.SIGNALS if s != RETIRE)

    #: When this process last reported to the master (``notify``).
    _reported = float("-inf")

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's own handling of a request it could not parse or serve, its answer
        written in JSON like every other error of the server, not as an HTML page."""
        written, util.write_error = util.write_error, write_parser_error
        try:
            super().handle_error(req, client, addr, exc)
        finally:
            util.write_error = written

    @property
    def handoff(self) -> Handoff | None:
        """The channels to the master's keeper (None when serving without one)."""
        found: Handoff | None = getattr(self.app, "handoff", None)
        return found

    def notify(self) -> None:
        """Report to the master that this process is alive, at most every
        ``REPORT_SECONDS``."""
        now = time.monotonic()
        if now - self._reported >= REPORT_SECONDS:
            self._reported = now
            super().notify()

    def run(self) -> None:
        """Wait for kept connections coming back as for new ones."""
        self._new_first = False
        if self.handoff is not None:
            self.wait_fds.append(self.handoff.from_master)
        super().run()

    def accept(self, listener: Any) -> None:
        """Serve a kept connection whose client sent again, or accept a new one.

        The two take turns: while kept clients send back to back there is always a
        kept connection waiting, and a new client (a browser's first request, a
        query sent on a fresh connection) waited behind them for up to two seconds.
        After a kept connection, a new one that is already waiting goes first.
        """
        if self._new_first:
            self._new_first = False
            with contextlib.suppress(BlockingIOError):  # none waits: a kept one, then
                self._accept_new(listener)
                return
        taken = self.handoff.take() if self.handoff is not None else None
        if taken is None:
            self._accept_new(listener)
            return
        self._new_first = True
        kept, read = taken
        try:
            address = kept.getpeername()
        except OSError:
            kept.close()
            return
        self.handle(listener, kept, address, read)

    def _accept_new(self, listener: Any) -> None:
        """Accept a connection; serve it if its request arrives whole within the linger,
        or pass it to the keeper to wait for it there."""
        client, addr = listener.accept()
        util.close_on_exec(client)
        handoff = self.handoff
        if (
            handoff is None
            or handoff.arrival.arrived(client, LINGER_SECONDS)
            or not handoff.give(client, arriving=True)
        ):
            self.handle(listener, client, addr)
        else:
            client.close()  # the master holds it now

    def handle(self, listener: Any, client: socket.socket, addr: Any, read: bytes = b"") -> None:
        """Serve the connection's requests while its client sends them back to back;
        ``read`` is what the master read of the first one."""
        others = [listener, *([self.handoff.from_master] if self.handoff else []), self.PIPE[0]]
        turn = 0
        while True:
            wrapped = ClientSocket(client, self.handoff, others, turn)
            wrapped.unread(read)
            read = b""
            if not self._answer_plain(listener, wrapped, addr):
                super().handle(listener, wrapped, addr)
            if not wrapped.reused:
                return
            # The master ends a process that has not reported for its timeout. gunicorn's
            # loop reports before each connection it takes; one client served here
            # request after request keeps this process from that loop, so it reports
            # here too (at most every ``REPORT_SECONDS``).
            self.notify()
            turn += 1

    def _answer_plain(self, listener: Any, client: ClientSocket, addr: Any) -> bool:
        """Answer a plain query (``GET /sparql?query=``, or a ``POST`` of one whose body
        came whole with its head) here; False, bytes given back, otherwise.

        The request goes through the same WSGI application as any other; only
        gunicorn's parsing and writing around it are skipped (``webapp/plainhttp.py``).
        With the access log on, every request goes through gunicorn, which logs it.
        """
        if self._plain is None:
            return False
        try:
            data = client.recv(HEAD_BYTES)
        except OSError as exc:  # a reset before the request: gunicorn's ``handle`` ignores it
            _socket_error(self.log, exc)
            util.close(client)
            return True
        request = PlainRequest.read(data)
        environ = None
        if request is not None:
            base, root, servers = self._plain
            environ = request.environ(base, client, addr, servers[listener], root)
        if request is None or environ is None or plain_query(environ) is None:
            client.unread(data)
            return False
        try:
            client.head_read()
            kept = request.kept and not client.holds_unread
            response = PlainResponse(kept)
            body = self.wsgi(environ, response.start_response)
            client.read_whole = True  # a plain request's body came whole with its head
            try:
                client.send_answer(response.encode(body))
            finally:  # after the answer is sent: closing may settle the process's memory
                if hasattr(body, "close"):
                    body.close()
            self._keep(client, kept)
        except OSError as exc:
            _socket_error(self.log, exc)
        except Exception as exc:
            self.handle_error(None, client, addr, exc)
        finally:
            util.close_graceful(client)
        return True

    @cached_property
    def _plain(self) -> tuple[dict[str, Any], str, dict[Any, Any]] | None:
        """What every plain request shares, or None when plain requests are not read here.

        The environ entries that do not depend on the request, the mount point
        gunicorn reads from the environment, and each listening socket's address.
        """
        if self.cfg.accesslog:
            return None
        servers = {listener: listener.getsockname() for listener in self.sockets}
        return wsgi.base_environ(self.cfg), os.environ.get("SCRIPT_NAME", ""), servers

    def _gathered(self, req: Any) -> int:
        """How many bytes after the request's head were there when it came: the part of
        a body the keeper gathers (``Arrival.cap``), less what the parser read with the
        head; none for a body announced larger, which nobody gathers."""
        if self.handoff is None:
            return 0
        cap = self.handoff.arrival.cap
        reader = getattr(req.body, "reader", None)
        if isinstance(reader, LengthReader) and reader.length > cap:
            return 0
        return max(cap - len(req.unreader.buf.getvalue()), 0)

    def handle_request(self, listener: Any, req: Any, client: ClientSocket, addr: Any) -> None:
        """Answer one request, and mark the connection to be kept when that is safe.

        It is safe when the client did not ask to close, the request had no body and
        nothing arrived behind it: the next request then starts at the socket's first
        unread byte, wherever it is parsed. Anything else is answered and closed.
        """
        began = datetime.now()
        client.head_read(self._gathered(req))
        continues, req._expected_100_continue = req._expected_100_continue, False
        response, environ = wsgi.create(req, client, addr, listener.getsockname(), self.cfg)
        if continues:
            environ["wsgi.input"] = _ContinueOnRead(environ["wsgi.input"], client, response)
        reusable = _bodiless(req) and not client.holds_unread and not _asks_to_close(req)
        if not reusable:
            response.force_close()
        body = None
        try:
            body = self.wsgi(environ, response.start_response)
            for chunk in body:
                response.write(chunk)
            response.close()
        except Exception as exc:
            if response.headers_sent:  # too late for an error page: end the connection
                if isinstance(exc, OSError):  # held back, the head fails with the body
                    _socket_error(self.log, exc)
                else:
                    self.log.exception("Error handling request")
                raise StopIteration() from None
            raise
        finally:
            self.log.access(response, req, environ, datetime.now() - began)
            if body is not None and hasattr(body, "close"):
                body.close()
        client.read_whole = _bodiless(req)  # now: the application may have read a body
        self._keep(client, reusable and not response.should_close())

    def _keep(self, client: ClientSocket, reusable: bool) -> None:
        """Mark a connection that may serve another request to be kept: here, while this
        process serves on; by the keeper alone, as it gives way (``RETIRE``); not at all
        as the server stops, or when bytes of a next request were read with this one
        (pipelined requests: only the first is answered, then the connection closes)."""
        client.keep = reusable and not client.holds_unread and (self.alive or self.retiring)
        client.linger = self.alive

    def listen_for_retire(self) -> None:
        """Take ``RETIRE`` from now on; the first thing a forked serving process does."""
        signal.signal(RETIRE, self._retire)
        signal.siginterrupt(RETIRE, False)

    def _retire(self, _signal: int, _frame: Any) -> None:
        self.retiring, self.alive = True, False


#: The signals a gunicorn master stops its serving processes with.
_STOPS: Final = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT})


def heed_stops_sent_while_forked(arbiter: Any) -> None:
    """Exit if the server was told to stop while this process was forked; the first
    thing a forked serving process does.

    Until gunicorn sets a serving process's own handlers (``init_signals``, after it
    has loaded the app), the process has the master's, which only queue a signal for
    a loop this process never runs. A stop sent while it was forked (a ``TERM`` to
    the process group as a serving process was replaced, or the master's own ``TERM``
    right after it) was lost, and the stop waited the whole graceful timeout before
    the master killed it. Now such a signal ends the process at once, whether it came
    before this (it is in this process's copy of the master's queue) or after (the
    default action ends it).
    """
    for stop in _STOPS:
        signal.signal(stop, signal.SIG_DFL)
    received = []
    with contextlib.suppress(queue.Empty):
        while True:
            received.append(arbiter.SIG_QUEUE.get_nowait())
    if _STOPS.intersection(received):
        raise SystemExit(0)
