"""Benchmark: how much a page slows down while the booking search reads its stemming table.

The cloud reads pystempel's table in a thread after the first booking page (web/search.py):
~600,000 tiny reads in pure Python. Meanwhile the server's thread hands the interpreter lock
back and forth at every database call (aiosqlite runs each on its own thread). The figure is
the time of N such hand-offs while the table loads, beside the same hand-offs with nothing
loading (the floor) and with the table read the plain way (the baseline), in one run.

Last line: ``handoffs=N idle_s=X during_load_s=X baseline_during_load_s=X load_s=X
baseline_load_s=X``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DISABLE_TQDM", "1")

from pystempel import Stemmer  # noqa: E402

from web import search  # noqa: E402


async def handoffs(n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        await asyncio.to_thread(lambda: None)
    return time.perf_counter() - started


def during(load: Callable[[], object], n: int) -> tuple[float, float]:
    """(seconds for n hand-offs while ``load`` runs in a thread, seconds the load took)."""
    took: list[float] = []

    def run() -> None:
        started = time.perf_counter()
        load()
        took.append(time.perf_counter() - started)

    loader = threading.Thread(target=run)
    loader.start()
    time.sleep(0.2)  # under way
    seconds = asyncio.run(handoffs(n))
    loader.join()
    return seconds, took[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="100 hand-offs")
    args = parser.parse_args()
    n = 100 if args.quick else args.handoffs
    idle = asyncio.run(handoffs(n))
    plain, plain_load = during(lambda: Stemmer.from_file(str(search.TABLE)), n)
    ours, our_load = during(search.stemmer, n)
    print(
        f"handoffs={n} idle_s={idle:.3f} during_load_s={ours:.3f}"
        f" baseline_during_load_s={plain:.3f} load_s={our_load:.1f}"
        f" baseline_load_s={plain_load:.1f}"
    )


if __name__ == "__main__":
    main()
