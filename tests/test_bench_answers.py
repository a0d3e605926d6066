"""The benchmark's throughput client reads whole answers, framed either way, off one connection."""

import socket

from bench.measure import Answers


def _answers_to(sent: bytes) -> list[int]:
    """The statuses ``Answers`` reads from ``sent``, written in small pieces."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        for start in range(0, len(sent), 7):  # answers split anywhere across reads
            theirs.sendall(sent[start : start + 7])
        theirs.shutdown(socket.SHUT_WR)
        answers, statuses = Answers(ours), []
        while True:
            try:
                statuses.append(answers.status())
            except ConnectionError:
                return statuses


def test_answers_by_length_and_by_chunks_are_read_whole() -> None:
    by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-A: b\r\n\r\n{\r\n\r\n}HTTP/1"
    chunked = (
        b"HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nab\r\nc\r\n3;x=y\r\nHTT\r\n0\r\n\r\n"
    )
    assert _answers_to(by_length + chunked + by_length) == [200, 503, 200]
