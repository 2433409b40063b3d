"""Where the workers of ``okienko web --workers N`` keep their metrics: prometheus-client's
multiprocess mode. Set up before prometheus_client is first imported anywhere in the process,
since it picks its way of storing values at import."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(workers: int) -> Path | None:
    """An empty directory for the workers' files, named in the environment they inherit;
    None when one process counts in memory. A directory the admin named is emptied too: a
    previous run's files would be added to this run's counts."""
    given = os.environ.get(ENV)
    if workers <= 1 and not given:
        return None
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="okienko-metrics-"))
    if given and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    return path


def enabled() -> bool:
    return bool(os.environ.get(ENV))
