"""Generation client throughput: reasonledger's OpenAI-compatible client against a fast local server,
side by side with the official `openai` client used directly (what most data tools do).

The server (reasonledger's stdlib OpenAI-protocol server, answering a fixed completion) runs in a
subprocess pinned to CPU 1; every client runs in this process pinned to CPU 0, so the figure is
what one core of client sustains. Overhead per request = client CPU time / requests.

    .venv/bin/python benchmarks/construct_client.py --requests 20000 --peer-requests 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROMPT = ("A farmer has 17 sheep and buys 3 times as many goats as sheep. He then sells half of the goats "
          "and a quarter of the sheep, rounding down. How many animals does he have left? ") * 2


def serve(port: int) -> None:
    os.sched_setaffinity(0, {1})
    from reasonledger.generation.openai_server import Choice, OpenAIServer

    answer = [Choice("Step 1: 17 * 3 = 51 goats.\nStep 2: 51 // 2 = 25 sold.\n<answer>39</answer>")]

    async def main() -> None:
        server = OpenAIServer(lambda api, body: answer * int(body.get("n", 1)), port=port)
        await server.start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def requests(count: int) -> list:
    from reasonledger.generation.protocol import GenerationRequest

    return [GenerationRequest("chat", {"model": "bench", "messages": [{"role": "user", "content": PROMPT}],
                                       "temperature": 1.0, "top_p": 1.0, "max_tokens": 1024, "seed": i}, 0)
            for i in range(count)]


def measure(name: str, count: int, run, repeat: int) -> dict:
    """Median wall rate and CPU per request over `repeat` runs (the machine is shared: medians)."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    row = {"client": name, "requests": count, "seconds": round(wall, 3), "req_per_s": round(count / wall),
           "cpu_us_per_req": round(cpu / count * 1e6)}
    print(f"{name:<48} {row['req_per_s']:>7,} req/s   {row['cpu_us_per_req']:>5} us CPU/request   "
          f"(median of {repeat}: {', '.join(f'{count / w:,.0f}' for w in walls)} req/s)", flush=True)
    return row


def ours(url: str, count: int, concurrency: int, client: str, run_dir: str | None) -> None:
    from reasonledger.generation.protocol import GeneratorSpec, Response
    from reasonledger.generation.generator import Generator

    spec = GeneratorSpec(endpoint=url, model="bench", concurrency=concurrency, client=client)
    with Generator(spec, run_dir) as generator:
        outcomes = generator.generate(requests(count))
    assert all(isinstance(o, Response) for o in outcomes), "a request failed"


def bare_aiohttp(url: str, count: int, concurrency: int) -> None:
    """The floor: aiohttp posting the same bodies and decoding the JSON, nothing else."""
    import json

    import aiohttp

    async def main() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                         headers={"Content-Type": "application/json"}) as session:
            slots = asyncio.Semaphore(concurrency)

            async def one(request) -> str:
                async with slots:
                    async with session.post(url + "/chat/completions", data=json.dumps(request.payload).encode()) as response:
                        return json.loads(await response.read())["choices"][0]["message"]["content"]

            await asyncio.gather(*(one(r) for r in requests(count)))

    asyncio.run(main())


def peer(url: str, count: int, concurrency: int) -> None:
    import openai

    async def main() -> None:
        client = openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=0)
        slots = asyncio.Semaphore(concurrency)

        async def one(i: int) -> str:
            async with slots:
                response = await client.chat.completions.create(
                    model="bench", messages=[{"role": "user", "content": PROMPT}], temperature=1.0, top_p=1.0,
                    max_tokens=1024, seed=i)
                return response.choices[0].message.content or ""

        await asyncio.gather(*(one(i) for i in range(count)))
        await client.close()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--peer-requests", type=int, default=3000, help="the openai client is slower: fewer requests")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--repeat", type=int, default=3, help="runs per client; medians are reported")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port)
        return
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--port", str(args.port)], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == b"ready"
        os.sched_setaffinity(0, {0})
        url = f"http://127.0.0.1:{args.port}/v1"
        print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared with other work)")
        ours(url, 500, args.concurrency, "aiohttp", None)  # warm the server and imports
        with tempfile.TemporaryDirectory() as tmp:
            rows = [
                measure("floor: bare aiohttp post + json decode", args.requests,
                        lambda: bare_aiohttp(url, args.requests, args.concurrency), args.repeat),
                measure("reasonledger (aiohttp), no cache", args.requests,
                        lambda: ours(url, args.requests, args.concurrency, "aiohttp", None), args.repeat),
                measure("reasonledger (aiohttp) + SQLite request cache", args.requests,
                        lambda: ours(url, args.requests, args.concurrency, "aiohttp", tempfile.mkdtemp(dir=tmp)),
                        args.repeat),
                measure("reasonledger with client: openai", args.peer_requests,
                        lambda: ours(url, args.peer_requests, args.concurrency, "openai", None), args.repeat),
                measure("peer: openai.AsyncOpenAI used directly", args.peer_requests,
                        lambda: peer(url, args.peer_requests, args.concurrency), args.repeat),
            ]
        floor, bare, cached, _, openai_direct = rows
        print(f"reasonledger's own CPU per request over bare aiohttp: {bare['cpu_us_per_req'] - floor['cpu_us_per_req']} us, "
              f"{cached['cpu_us_per_req'] - floor['cpu_us_per_req']} us with the request cache committed per answer")
        print(f"one core's capacity at that CPU cost: {1e6 / cached['cpu_us_per_req']:,.0f} req/s with the cache "
              f"(measured wall rate {cached['req_per_s']:,} req/s while the core was shared)")
        ratio = cached["req_per_s"] / openai_direct["req_per_s"]
        print(f"reasonledger (with cache) / openai client used directly: {ratio:.1f}x requests per second")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
