"""Latency benchmark of the web platform on loopback: ``rok serve`` in its own process, a load
generator of 20 concurrent clients (asyncio + httpx) in this one.

Scenarios: region pages cold (every region's page asked for the first time as soon as the first
page is served, while the server still prerenders the others in the background) and warm (asked
again), and the API profile call cold and warm; per scenario the
number of requests, p50, p95, p99 and the throughput, and the server's peak resident memory
(psutil, sampled every 50 ms). The time from start to the first region page (the analyses of
the warehouse version computed once) is reported apart.

Run: ``make bench-web`` (or ``python -m rok.bench.web [--db FILE] [--clients 20]``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

from rok import config


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Peak:
    """The peak RSS of a process, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.proc, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self.thread.join()
        return self.peak


async def _load(base: str, urls: list[str], clients: int) -> tuple[list[float], float, int]:
    """Fetch ``urls`` with ``clients`` concurrent connections; latencies (s), wall time, errors."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for u in urls:
        queue.put_nowait(u)
    times: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        async with client:
            while not queue.empty():
                url = queue.get_nowait()
                start = time.perf_counter()
                r = await client.get(url)
                times.append(time.perf_counter() - start)
                errors += r.status_code != 200

    # the clients are made before the clock starts: making one builds a TLS context (~10 ms of
    # this process's CPU, even for plain http), which would otherwise stall the event loop and be
    # counted in the latency of the requests in flight. Connecting is counted.
    made = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(clients)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in made))
    return times, time.perf_counter() - start, errors


def _row(name: str, times: list[float], wall: float, errors: int) -> list[str]:
    q = statistics.quantiles(times, n=100, method="inclusive")
    return [name, str(len(times)), f"{statistics.median(times) * 1000:.1f}", f"{q[94] * 1000:.1f}",
            f"{q[98] * 1000:.1f}", f"{len(times) / wall:.0f}", str(errors)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="the warehouse (default: $ROK_DB or ./rok.duckdb)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="warm requests per region")
    args = parser.parse_args(argv)
    db = config.db_path(args.db)
    if not Path(db).exists():
        sys.exit(f"error: no warehouse at {db}; run `rok ingest mirror` first")
    console = Console(width=120)
    port = _port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        code = "from rok.cli.main import main; main()"
        server = subprocess.Popen([sys.executable, "-c", code, "serve", "--db", str(db), "--port", str(port),
                                   "--workspace", str(Path(tmp) / "workspace.sqlite")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
        peak = Peak(server.pid)
        try:
            started = time.perf_counter()
            while True:
                if server.poll() is not None:
                    sys.exit(f"error: the server stopped (exit {server.returncode}); try `rok serve --db {db}`")
                try:
                    first_page = httpx.get(f"{base}/regions/DE21", timeout=300)
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                if first_page.status_code != 200:  # e.g. a warehouse of an older schema: say so, not wait
                    sys.exit(f"error: /regions/DE21 answered {first_page.status_code}: {first_page.text[:400]}")
                break
            first = time.perf_counter() - started
            codes = [r["code"] for r in httpx.get(f"{base}/api/v1/regions?limit=1000").json()["items"]]
            rows = []
            for name, path, rounds in (("region page, cold (first visit, right after start)", "/regions/{}", 1),
                                       ("region page, warm", "/regions/{}", args.rounds),
                                       ("API profile, cold (first request per region)", "/api/v1/regions/{}/profile", 1),
                                       ("API profile, warm", "/api/v1/regions/{}/profile", args.rounds)):
                urls = [path.format(c) for _ in range(rounds) for c in codes]
                times, wall, errors = asyncio.run(_load(base, urls, args.clients))
                rows.append(_row(name, times, wall, errors))
        finally:
            memory = peak.stop()
            server.terminate()
            server.wait(timeout=30)
    table = Table(title=f"rok serve on loopback: {args.clients} concurrent clients, {len(codes)} NUTS 2 regions "
                        f"(warehouse {db})")
    for column in ("scenario", "requests", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"start to the first region page (every analysis computed once): {first:.1f} s")
    console.print(f"server peak resident memory: {memory / 2**20:,.0f} MiB")
    console.print("targets: region page p95 < 100 ms warm; API profile p95 < 50 ms warm")


if __name__ == "__main__":
    main()
