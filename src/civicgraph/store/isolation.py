"""Network isolation: the processes that read untrusted SPARQL and RDF cannot connect out.

pyoxigraph follows ``SERVICE`` and ``LOAD`` IRIs over HTTP by itself and has no
switch to turn that off, so the text check (``sparql/fetching.py``) would be the only
thing between a scanner bug and a server-side request. On Linux a process can leave
the machine's network for a new, empty network namespace (``unshare(CLONE_NEWNET)``,
with ``CLONE_NEWUSER`` when not root): it keeps every socket it already holds, so a
server goes on accepting on its inherited listening socket and talking to its
children over socket pairs, but it has no interface except a loopback that is down,
and any connection it opens fails with "Network is unreachable". Measured: pyoxigraph's
``SERVICE`` then fails at once and a listener on the host's loopback sees nothing.

``CLONE_NEWUSER`` needs a process with one thread, so isolate before starting any.
"""

import ctypes
import fcntl
import os
import socket
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Flags of unshare(2), from <linux/sched.h>.
CLONE_NEWNET: Final = 0x40000000
CLONE_NEWUSER: Final = 0x10000000
#: An interface's flags, from <linux/sockios.h> and <net/if.h>: ``struct ifreq`` holds
#: the name and, here, the flags.
SIOCGIFFLAGS: Final = 0x8913
IFF_UP: Final = 0x1
IFREQ: Final = struct.Struct("16sH22x")


@dataclass(frozen=True)
class Isolation:
    """Whether this process is cut off from the network, and if not, why not."""

    active: bool
    reason: str = ""

    def describe(self) -> str:
        """One line for the server log."""
        return (
            "network isolation: active"
            if self.active
            else (f"network isolation: unavailable: {self.reason}")
        )


def is_isolated() -> bool:
    """Whether this process's network namespace has no interface but a loopback that is
    down. A namespace whose loopback is up (a container run without a network) still
    reaches whatever listens on it, this server among them."""
    if sys.platform != "linux":
        return False
    return {name for _, name in socket.if_nameindex()} <= {"lo"} and not loopback_up()


def loopback_up() -> bool:
    """Whether this namespace's loopback interface is up (asked of a socket, which lives
    in the namespace, not of ``/sys``, which shows the one it was mounted in)."""
    request = IFREQ.pack(b"lo", 0)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            flags: int = IFREQ.unpack(fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
    except OSError:  # cannot tell: count it as up, and leave for a namespace of its own
        return True
    return bool(flags & IFF_UP)


def isolate_network() -> Isolation:
    """Move this process into a new, empty network namespace, if the OS allows it.

    Idempotent: a process already isolated (or a child of one) stays as it is.
    """
    if sys.platform != "linux":
        return Isolation(False, "network namespaces exist only on Linux")
    if is_isolated():
        return Isolation(True)
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNET if uid == 0 else CLONE_NEWUSER | CLONE_NEWNET
    try:
        _unshare(flags)
    except OSError as exc:
        return Isolation(False, f"unshare refused ({exc.strerror or exc})")
    if flags & CLONE_NEWUSER:
        try:
            _map_ids(uid, gid)
        except OSError as exc:  # isolated all the same; only file ownership looks odd
            return Isolation(True, f"user ids not mapped ({exc.strerror or exc})")
    return Isolation(True)


def _unshare(flags: int) -> None:
    """``os.unshare`` (Python 3.12+), or the C library's ``unshare`` before it."""
    if hasattr(os, "unshare"):
        os.unshare(flags)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _map_ids(uid: int, gid: int) -> None:
    """Keep the same user and group inside the new user namespace (user_namespaces(7))."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
