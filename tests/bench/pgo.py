#!/usr/bin/env python3
"""Build Lore's release binary with profile-guided optimisation (PGO): target/pgo/release/lore.

    python3 tests/bench/pgo.py [--pages 2000] [--work DIR]

Three steps, as rustc's own book describes them: build an instrumented binary
(`-Cprofile-generate`), run it on a training workload, merge what it recorded with
`llvm-profdata`, and build again with `-Cprofile-use`. Same code, same output byte for byte;
LLVM lays out and inlines the hot paths (Markdown, templates, the search index) by what the
training run did. The training workload is Lore's own example site (content/), the real ADR
repositories in ../shared/corpora, and a synthetic site from ../shared/bench/gen_corpus.py
with its own seed (not the benchmark's), built clean, again with nothing changed, and once
more forced onto the large-site path; `lore check` runs on each.

Needs an `llvm-profdata` of rustc's LLVM major version: $LLVM_PROFDATA, rustup's llvm-tools
component, or Debian's `llvm-NN` package. Standard library only.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BINARY = os.path.join(ROOT, "target", "pgo", "release", "lore")


def log(message):
    print(message, file=sys.stderr, flush=True)


def llvm_major():
    info = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^LLVM version: (\d+)", info, re.MULTILINE)
    if not found:
        sys.exit("pgo: `rustc -vV` names no LLVM version")
    return found.group(1)


def reports_major(tool, major):
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return re.search(rf"LLVM version {major}\.", out) is not None


def find_profdata(major):
    """The first llvm-profdata of rustc's LLVM major version: the profile formats change with it."""
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                             check=True).stdout.strip()
    candidates = [os.environ.get("LLVM_PROFDATA")]
    candidates += glob.glob(os.path.join(sysroot, "lib", "rustlib", "*", "bin", "llvm-profdata"))
    candidates += [shutil.which(f"llvm-profdata-{major}"),
                   f"/usr/lib/llvm-{major}/bin/llvm-profdata",
                   shutil.which("llvm-profdata")]
    for tool in candidates:
        if tool and os.path.exists(tool) and reports_major(tool, major):
            return tool
    sys.exit(f"pgo: no llvm-profdata of LLVM {major} (rustc's). Install Debian's `llvm-{major}` "
             f"(apt-get install llvm-{major}), or `rustup component add llvm-tools`, or set "
             f"LLVM_PROFDATA to one.")


def cargo_build(target_dir, flag):
    env = dict(os.environ, RUSTFLAGS=f"{os.environ.get('RUSTFLAGS', '')} {flag}".strip())
    subprocess.run(["cargo", "build", "--release", "--quiet", "--target-dir", target_dir],
                   cwd=ROOT, env=env, check=True)


def run_lore(lore, args, env=None):
    subprocess.run([lore, *args], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, **(env or {})))


def train(lore, work, pages):
    """Build, rebuild with nothing changed, and check each training site."""
    synthetic = os.path.join(work, "synthetic")
    generator = os.path.join(SHARED, "bench", "gen_corpus.py")
    if not os.path.exists(generator):
        sys.exit(f"pgo: {generator} not found: the training site is made with it "
                 "(../shared beside the repository, as for the benchmark)")
    subprocess.run([sys.executable, generator,
                    "--posts", str(pages * 9 // 10), "--adrs", str(pages // 10),
                    "--seed", "pgo-training", "--out", synthetic, "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    corpora = sorted(glob.glob(os.path.join(SHARED, "corpora", "*", "")))
    sites = [ROOT, synthetic, *corpora]
    for number, site in enumerate(sites):
        out = os.path.join(work, f"out-{number}")
        # A --work folder used before holds last time's output: the first build must be clean.
        shutil.rmtree(out, ignore_errors=True)
        log(f"pgo: training on {os.path.basename(os.path.normpath(site))}")
        run_lore(lore, ["build", "--quiet", "-o", out, site])
        run_lore(lore, ["build", "--quiet", "-o", out, site])
        # `check` exits non-zero on a site's own broken links; that is still a run worth recording.
        subprocess.run([lore, "check", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    large = os.path.join(work, "out-large")
    shutil.rmtree(large, ignore_errors=True)
    run_lore(lore, ["build", "--quiet", "-o", large, synthetic], env={"LORE_LARGE_SITE": "1"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000,
                        help="pages in the synthetic training site (default 2000)")
    parser.add_argument("--work", help="folder for the training sites and profiles "
                        "(default: a temporary folder, deleted after)")
    args = parser.parse_args()
    profdata_tool = find_profdata(llvm_major())
    work = args.work or tempfile.mkdtemp(prefix="lore-pgo-")
    try:
        profiles = os.path.join(work, "profiles")
        log("pgo: building the instrumented binary (target/pgo-generate)")
        # With the release profile's whole-program LTO, like the final build: a profile taken
        # without it (a build 2 minutes quicker) gave a binary no quicker than a plain build
        # (10k: 2.25 s against 2.04 s with this one, six alternating pairs).
        cargo_build(os.path.join(ROOT, "target", "pgo-generate"), f"-Cprofile-generate={profiles}")
        # Build scripts ran instrumented too; their profiles describe cargo's build, not Lore.
        shutil.rmtree(profiles, ignore_errors=True)
        train(os.path.join(ROOT, "target", "pgo-generate", "release", "lore"), work, args.pages)
        merged = os.path.join(work, "lore.profdata")
        subprocess.run([profdata_tool, "merge", "-o", merged, profiles], check=True)
        log("pgo: building the optimised binary (target/pgo)")
        cargo_build(os.path.join(ROOT, "target", "pgo"), f"-Cprofile-use={merged}")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(BINARY)


if __name__ == "__main__":
    main()
