"""When a request counts as arrived: the rule the keeper and serving processes share."""

import socket
import time

import pytest

from civicgraph.webapp.arrival import FIELDS, SLICE, WINDOW, Arrival, Body, Gather, Head

RULE = Arrival.for_limits([1 << 20, 256 * 1024])
#: Seconds of CPU for the largest adversarial body: about 0.3 s here; quadratic work
#: would take minutes.
BOUND = 5.0
#: The same for the largest head, a window of 32 KiB: 0.02 s here; scanning the whole
#: window again at each byte takes 1.2 s.
HEAD_BOUND = 0.5
GET = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"
READ, WAIT, GATHER = "read now", "wait for the head", "gather the body"


def _post(*headers: str) -> bytes:
    lines = ["POST /sparql HTTP/1.1", "Host: x", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunked(body: bytes) -> bytes:
    return _post("Transfer-Encoding: chunked") + body


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"GET /sparql?query=ASK", WAIT),
        (GET[:-2], WAIT),
        (GET, READ),
        (GET + b"GET /", READ),  # the next request need not be whole
        (_post("Content-Length: 8") + b"ASK {", GATHER),
        (_post("Content-Length: 8") + b"ASK { } ", READ),
        (_post("content-length:  8 ") + b"ASK { } ", READ),
        (_post("Content-Length: 0"), READ),
        (_post(f"Content-Length: {1 << 20}"), GATHER),  # within what an open route takes
        (_post(f"Content-Length: {(1 << 20) + 2}"), READ),  # refused from its head
        (_post("Content-Length: x8"), READ),  # malformed: the parser refuses it
        # Ambiguous framing: the parser refuses it from its head, whatever follows.
        (_post("Content-Length: 8", "Content-Length: 20") + b"ASK { } ", READ),
        (_post("Content-Length: 20", "Content-Length: 8") + b"ASK", READ),
        (_post("Content-Length: 8", "Transfer-Encoding: chunked") + b"8\r\nASK", READ),
        (_post("Transfer-Encoding: chunked, gzip") + b"5\r\nASK", READ),  # not plain chunked
        (_post("Transfer-Encoding: gzip, chunked") + b"5\r\nASK", READ),
        (_post("Transfer-Encoding: xchunked") + b"5\r\nASK", READ),
        (_post("Transfer-Encoding: chunked", "Transfer-Encoding: chunked") + b"5\r\n", READ),
        (_chunked(b"4\r\nASK{\r\n"), GATHER),
        (_chunked(b"4\r\nASK{\r\n1\r\n}\r\n0\r\n"), GATHER),
        (_chunked(b"4\r\nASK{\r\n1\r\n}\r\n0\r\n\r\n"), READ),
        (_chunked(b"4;x=y\r\nASK{\r\n0\r\nA: b\r\n\r\n"), READ),
        (_chunked(b"5\r\nab0\r\n\r\n"), GATHER),  # chunk data, not the end
        (_chunked(b"zz\r\n"), READ),  # a malformed size
        (b"G" * WINDOW, WAIT),  # never goes on: the keeper refuses it (``Head.too_long``)
        # Leading zeros count for nothing, however many (gunicorn reads them so).
        (_post("Content-Length: 000000000000000000005") + b"AS", GATHER),
        (_post("Content-Length: 000000000000000000005") + b"ASK{}", READ),
        (_post("Content-Length: 100000000000000000005"), READ),  # over every limit
        (_chunked(b"00000000000000005\r\nASK"), GATHER),
        (_chunked(b"00000000000000005\r\nASK{}\r\n0\r\n\r\n"), READ),
        # A bare LF ends no line: gunicorn would wait for a CRLF, so the keeper does.
        (_chunked(b"0\n\n"), GATHER),
        (_chunked(b"4\nASK{\n0\n\n"), GATHER),
        (_chunked(b"0\r\nA: b\n\n"), GATHER),
        (_chunked(b"0\n" * 4097), GATHER),  # a line past the limit: the keeper refuses it
        # More header fields than the parser takes: the keeper refuses it (``Head.crowded``).
        (_post(*["A: b"] * (FIELDS - 2), "Transfer-Encoding: chunked") + b"5\r\n", GATHER),
        (_post(*["A: b"] * (FIELDS - 1), "Transfer-Encoding: chunked") + b"5\r\n", WAIT),
    ],
)
def test_judge(data: bytes, expected: str) -> None:
    judged = RULE.judge(data)
    found = GATHER if isinstance(judged, Gather) else READ if judged else WAIT
    assert found == expected


def test_a_gathered_body_is_whole_however_its_bytes_are_split() -> None:
    body = b"4\r\nASK{\r\n1;ext\r\n}\r\n0\r\nTrailer: x\r\n\r\n"
    judged = RULE.judge(_chunked(body[:5]))  # the body's first bytes came with the head
    assert isinstance(judged, Gather)
    assert judged.head == len(_chunked(b""))
    fed = [judged.body.feed(body[i : i + 1]) for i in range(5, len(body))]
    assert fed == [False] * (len(body) - 6) + [True]
    split = Body(None)  # a CRLF split between two reads
    assert [split.feed(part) for part in (b"0\r", b"\n\r", b"\n")] == [False, False, True]
    counted = Body(10)
    assert not counted.feed(b"12345")
    assert counted.feed(b"67890")


@pytest.mark.parametrize(
    "data",
    [
        b"1\r\nx\r\n" * (RULE.cap // 6),
        b"f" * (RULE.cap - 1),
        b"0\r\n" + b"T: x\r\n" * (RULE.cap // 6),
    ],
    ids=["tiny-chunks", "one-long-size-line", "many-trailers"],
)
def test_the_largest_adversarial_body_is_followed_within_seconds(data: bytes) -> None:
    body = Body(None)
    started = time.thread_time()
    for at in range(0, len(data), 7):  # split awkwardly, as a trickle would be
        body.feed(data[at : at + 7])
    assert time.thread_time() - started < BOUND


def test_a_head_of_tiny_lines_is_judged_in_a_fraction_of_a_millisecond() -> None:
    """A 32 KiB head of ten thousand lines, which every connection of a flood may send:
    read a line at a time, it took 4-5 ms each time a serving process or the keeper
    looked at it (and as long again in gunicorn's parser). Past ``FIELDS`` fields its
    lines are not read: the keeper answers 431."""
    head = _chunked(b"").replace(b"Host: x", b"Host: x" + b"\r\na" * 10_000)
    started = time.thread_time()
    for _ in range(100):
        assert not RULE.ready(head + b"1\r\nx\r\n")
    assert (time.thread_time() - started) / 100 < 0.0005
    crowded = Head()
    assert crowded.feed(head)
    assert (crowded.crowded, crowded.too_long) == (True, False)


def test_the_largest_adversarial_head_is_judged_within_seconds() -> None:
    head = _post(*(["Content-Length: 1"] * ((WINDOW - 100) // 20)))
    started = time.thread_time()
    RULE.judge(head[: WINDOW - 1])
    assert time.thread_time() - started < HEAD_BOUND


@pytest.mark.timed
def test_arrived_reads_nothing_and_waits_at_most_as_asked() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as client:
            accepted, _ = server.accept()
            with accepted:
                started = time.perf_counter()
                assert not RULE.arrived(accepted, 0.05)
                assert time.perf_counter() - started < 0.5
                client.sendall(GET)
                assert RULE.arrived(accepted, 1.0)
                assert accepted.recv(len(GET)) == GET  # still unread
                client.shutdown(socket.SHUT_WR)
                assert RULE.arrived(accepted)  # the end: reading it does not wait


def test_ready_follows_at_most_a_slice_of_a_chunked_body_in_place() -> None:
    """One-byte chunks cost a serving process or the keeper under a millisecond per
    connection, however many it accepts or wakes: a longer chunked body is gathered by
    the keeper, in turn with others. A body with a length costs nothing to count."""
    one_byte = b"1\r\nx\r\n"
    short = _chunked(one_byte * ((SLICE - 5) // 6) + b"0\r\n\r\n")  # a slice, the end in it
    long = _chunked(one_byte * (SLICE // 3) + b"0\r\n\r\n")
    counted = _post(f"Content-Length: {4 * SLICE}") + b"x" * (4 * SLICE)
    assert (RULE.judge(long), RULE.ready(short), RULE.ready(long)) == (True, True, False)
    assert RULE.ready(counted)


def test_the_cap_is_the_largest_body_a_route_open_to_everyone_takes() -> None:
    assert Arrival.for_limits([10_000, 256 * 1024]).cap == 256 * 1024 + 1


@pytest.mark.parametrize(
    ("pieces", "ended", "too_long"),
    [
        ([GET[:-3], GET[-3:-1], GET[-1:]], True, False),  # its end split across reads
        ([GET + b"#" * WINDOW], True, False),  # a whole head, then a body
        ([b"G" * (WINDOW - 1)], False, False),
        ([b"G" * (WINDOW - 1), b"G"], True, True),
        ([b"G" * (WINDOW - 2), b"\r\n\r\n"], True, True),  # it ends past the window
    ],
    ids=["split-end", "head-then-body", "just-short", "window-full", "ends-past-window"],
)
def test_a_head_ends_or_is_too_long_however_its_bytes_are_split(
    pieces: list[bytes], ended: bool, too_long: bool
) -> None:
    head = Head()
    fed = [head.feed(piece) for piece in pieces]
    assert fed == [False] * (len(pieces) - 1) + [ended]
    assert head.too_long is too_long
    assert head.data == b"".join(pieces)


@pytest.mark.parametrize(
    ("pieces", "bare"),
    [
        ([b"GET / HTTP/1.1\r\nHost: x", b"\n"], True),
        ([b"GET / HTTP/1.1\r\nHost: x\r\n\n"], True),
        ([b"GET / HTTP/1.1\r\nHost: x\n\r\n"], True),  # a LF line, then a CRLF blank one
        ([b"GET / HTTP/1.1\r\nHost: x\nFoo: y\r\n\r\n"], True),
        ([b"GET / HTTP/1.1\r\nHost: x\r", b"\n\r\n"], False),  # CRLF split across reads
        ([b"POST / HTTP/1.1\r\nHost: x\r\n\r\n0\n\n"], False),  # in the body, not the head
    ],
    ids=["split", "crlf-then-lf", "lf-then-crlf", "inside", "crlf-split", "body"],
)
def test_a_head_ended_by_a_bare_lf_is_told_apart(pieces: list[bytes], bare: bool) -> None:
    head = Head()
    fed = [head.feed(piece) for piece in pieces]
    assert fed == [False] * (len(pieces) - 1) + [True]
    assert head.bare is bare


def test_the_largest_head_a_byte_at_a_time_is_followed_within_seconds() -> None:
    near_ends = b"\r\n\r" * WINDOW  # every byte starts a near-match of the end
    head = Head()
    started = time.thread_time()
    for at in range(WINDOW - 1):
        head.feed(near_ends[at : at + 1])
    assert time.thread_time() - started < HEAD_BOUND
    assert not head.too_long


@pytest.mark.parametrize(("version", "continues"), [(b"HTTP/1.1", True), (b"HTTP/1.0", False)])
def test_only_an_http_1_1_client_is_told_to_continue(version: bytes, continues: bool) -> None:
    head = b"PUT /store HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    judged = RULE.judge(head.replace(b"HTTP/1.1", version, 1))
    assert isinstance(judged, Gather)
    assert judged.continues is continues
