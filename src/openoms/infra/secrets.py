"""The server's secret key, which signs session cookies and customer links.

Set ``OMS_SECRET_KEY`` in production (the same value on every process). Without it, a key is
generated once into ``OMS_SECRET_KEY_FILE`` (readable by the owner only), so the embedded
default keeps its sessions across restarts with nothing to configure.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from openoms.infra.settings import Settings


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.secret_key_file)
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
