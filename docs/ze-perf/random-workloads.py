#!/usr/bin/env python3
"""Writes 100k-announce-random.yaml and 100k-announce-zeperf-like.yaml (2.5 MB each, so not
kept in the repository) into the directory given as the only argument (default: the current one).

The prefix set has the shape of ze-perf's (internal/perf/routes.go in ze-software/ze): 100,000
distinct /24s drawn at random over first octets 1-223 without 10/8, 127/8, 169.254/16,
172.16/12 and 192.168/16, sent in the order drawn. Python's generator is not Go's, so the
prefixes are not ze-perf's own, only drawn the same way (seed 42).
"""
import random
import sys
from pathlib import Path

COUNT = 100_000


def prefixes():
    rng = random.Random(42)
    firsts = [f for f in range(1, 224) if f not in (10, 127)]
    seen, out = set(), []
    while len(out) < COUNT:
        a, b = rng.choice(firsts), rng.randrange(256)
        if (a, b) == (169, 254) or (a == 172 and 16 <= b <= 31) or (a, b) == (192, 168):
            continue
        p = (a, b, rng.randrange(256))
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def workload(name, description, primed, listed):
    head = [
        "version: 1",
        f"name: {name}",
        f"description: {description}",
        "dut: {kind: bird, asn: 65000}",
        "speakers:",
        "  up: {asn: 65001}",
        "  down: {asn: 65100}",
        "steps:",
        "  - wait: established",
    ]
    if primed:
        head += [
            "  - announce: {from: up, prefixes: [198.18.0.0/24], as_path: [174]}",
            "  - expect: {at: down, routes: 1, within: 30s}",
            "  - snapshot: settled",
        ]
    head += ["  - announce:", "      from: up", "      as_path: [174]", "      prefixes:"]
    routes = COUNT + (1 if primed else 0)
    tail = [
        f"  - expect: {{at: down, routes: {routes}, within: 120s, convergence: {{max: 120s}}}}",
        "  - expect: {clean: true}",
    ]
    return "\n".join(head + listed + tail) + "\n"


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    listed = [f"        - {a}.{b}.{c}.0/24" for a, b, c in prefixes()]
    shape = "100,000 /24s drawn at random (seed 42) over the unicast space, sent in random order"
    (out / "100k-announce-random.yaml").write_text(
        workload("100k-announce-random", f"100k-announce with ze-perf's prefix set shape, {shape}.", False, listed)
    )
    (out / "100k-announce-zeperf-like.yaml").write_text(
        workload(
            "100k-announce-zeperf-like",
            f"Primed (one prefix through the DUT first, then a snapshot) and ze-perf's prefix set shape, {shape}.",
            True,
            listed,
        )
    )


if __name__ == "__main__":
    main()
