"""Where a running ``healthmon serve`` can be reached: ``<home>/server.json``.

serve writes the file once its endpoints answer and removes it when it stops. Every other
``healthmon`` command over the same home reads it and, when that server still answers, runs as a
Spark Connect client of it (about a second) instead of starting a JVM of its own (tens of
seconds); it then also sees the catalog the SQL endpoint serves. A file left behind by a killed
server is ignored: its process is gone or its port no longer answers.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

SERVER_FILE = "server.json"


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    home: str
    connect_url: str  # sc://127.0.0.1:PORT
    sql_url: str  # hive://127.0.0.1:PORT/<control schema>


def server_file(home: str | os.PathLike) -> Path:
    return Path(home) / SERVER_FILE


def write(home: str | os.PathLike, info: ServerInfo) -> Path:
    """Write the file atomically (a reader never sees half of it)."""
    path = server_file(home)
    partial = path.with_name(f".{SERVER_FILE}.{info.pid}")
    partial.write_text(json.dumps(asdict(info), indent=2) + "\n")
    partial.replace(path)
    return path


def read(home: str | os.PathLike) -> ServerInfo | None:
    """The file's content; None when it is missing or not what serve writes."""
    try:
        return ServerInfo(**json.loads(server_file(home).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def remove(home: str | os.PathLike, pid: int) -> None:
    """Remove the file if process ``pid`` wrote it (a newer server's file stays)."""
    info = read(home)
    if info is not None and info.pid == pid:
        server_file(home).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def serving_url(home: str | os.PathLike) -> str | None:
    """The Spark Connect URL of the server running over ``home``, if one is running and answers."""
    from framework.errors import FrameworkError
    from framework.platform.session import answers

    info = read(home)
    if info is None or not _alive(info.pid):
        return None
    try:
        return info.connect_url if answers(info.connect_url, timeout=1.0) else None
    except FrameworkError:  # not an sc:// URL: not a file serve wrote
        return None
