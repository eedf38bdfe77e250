"""Benchmark (run by hand, not a test): the board page and its search with 5,000 posts and
200 residents, served by waitress on 127.0.0.1.

    .venv/bin/python bench/bench_board.py [--posts 5000] [--residents 200] [--requests 200]

Posts are recorded through the domain (not timed). Then, in the same waitress server and the
same run, GET requests are timed one after the other: the board's first page, page 20, a search typed
without accents ("electricite"), a search with a category filter, a bare Flask route that only
returns "ok" (the floor of the stack), and the existing apartments page (a reference: any page
drawn with base.html pays the template, session, CSRF and Babel costs). Reported: median and p99 latency of each, and their
ratio to the bare route (goal: within 3x).
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from kiosk import board, create_app, residents, store  # noqa: E402
from kiosk.config import make_config  # noqa: E402

WORDS = ["électricité", "plomberie", "couture", "guitare", "devoirs", "déménagement", "ordinateur",
         "chat", "plantes", "cuisine", "vélo", "perceuse", "ourlet", "repassage", "tricot"]


def fill(db, config, posts: int, people: int) -> None:
    rng = random.Random(6)
    # residents.register hashes a PIN with scrypt: none needed here
    neighbours = [residents.register(db, apartment=f"{chr(65 + i % 4)}-{i:03d}", name=f"Voisin {i}")
                  for i in range(people)]
    categories = config["board"]["categories"]
    for n in range(posts):
        title = f"{rng.choice(WORDS).capitalize()} et {rng.choice(WORDS)} {n}"
        board.publish(
            db, config, poster_id=rng.choice(neighbours).id,
            direction=rng.choice(["offer", "request"]), kind=rng.choice(list(board.KINDS)),
            category=rng.choice(categories), title=title,
            description=" ".join(rng.choice(WORDS) for _ in range(12)),
            availability="le soir", price_mode="per_hour", price=1000,
        )


def timed(port: int, path: str, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    for _ in range(count + 5):
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter() - start)
        assert response.status == 200, (path, response.status)
    connection.close()
    return samples[5:]  # the first few warm caches up


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    from browser import serve

    with tempfile.TemporaryDirectory() as folder:
        config = make_config({"storage": {"data_dir": folder}})
        app = create_app(config)

        @app.get("/bench/bare")
        def bare():
            return "ok"

        db = store.connect(config.database_path)
        started = time.perf_counter()
        fill(db, config, args.posts, args.residents)
        print(f"recorded {args.posts} posts of {args.residents} residents in "
              f"{time.perf_counter() - started:.1f} s")
        db.close()
        server = serve(app, threads=4)
        try:
            paths = {
                "bare Flask route": "/bench/bare",
                "apartments page (ref.)": "/login/apartments",
                "board, first page": "/board/",
                "board, page 20": "/board/?page=20",
                "search 'electricite'": "/board/?q=electricite",
                "search + category": "/board/?q=perceuse&category=diy",
            }
            results = {name: timed(server.port, path, args.requests) for name, path in paths.items()}
        finally:
            server.close()
    base_median = statistics.median(results["bare Flask route"])
    base_p99 = p99(results["bare Flask route"])
    print(f"{'':24} {'median ms':>10} {'p99 ms':>8} {'x median':>9} {'x p99':>7}")
    worst = 0.0
    for name, samples in results.items():
        median, tail = statistics.median(samples), p99(samples)
        ratio = median / base_median
        if name.startswith(("board", "search")):
            worst = max(worst, ratio)
        print(f"{name:24} {median * 1000:10.2f} {tail * 1000:8.2f} {ratio:9.1f} {tail / base_p99:7.1f}")
    print(f"worst median ratio: {worst:.1f}x (goal: within 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
