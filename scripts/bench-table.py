#!/usr/bin/env python3
"""Print BENCHMARKS.md's tables from criterion's estimates of the last `cargo bench` run.

Usage (from the repository root, after `cargo bench --bench sigv4`):

    python3 scripts/bench-table.py

Every figure is the median of one run; ratios compare figures of that same run.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "target" / "criterion"


def median(*parts):
    path = ROOT.joinpath(*parts, "new", "estimates.json")
    if not path.is_file():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def ns(value):
    if value is None:
        return "n/a"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} ms"
    if value >= 1_000:
        return f"{value / 1_000:.2f} µs"
    return f"{value:.0f} ns"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}×"


INPUTS = ["get-vanilla", "s3-get-8-headers-query-token", "post-1k-body", "s3-presign-10-params"]


def main():
    if not ROOT.is_dir():
        sys.exit("no criterion results: run `cargo bench --bench sigv4` first")
    print("### Signing (header signatures; presigning for the presigned input)\n")
    print("| input | floor | sigv4, cached key | ÷ floor | sigv4, cold key | aws-sigv4 | aws-sigv4 ÷ sigv4 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in INPUTS:
        group = "presign" if "presign" in name else "sign-header"
        floor = median(group, "floor", name)
        cached = median(group, "sigv4-cached-key", name)
        cold = median(group, "sigv4-cold-key", name)
        official = median(group, "aws-sigv4", name)
        print(f"| {name} | {ns(floor)} | {ns(cached)} | {ratio(cached, floor)} | {ns(cold)} | {ns(official)} | {ratio(official, cached)} |")
    print("\n### Verification (cached key, parsing included)\n")
    print("| input | floor | sigv4 | ÷ floor |")
    print("| --- | --- | --- | --- |")
    for name in INPUTS:
        floor = median("verify", "floor", name)
        ours = median("verify", "sigv4-cached-key", name)
        print(f"| {name} | {ns(floor)} | {ns(ours)} | {ratio(ours, floor)} |")
    print("\n### Canonical request alone (as text)\n")
    print("| input | copy of the text | sigv4 |")
    print("| --- | --- | --- |")
    for name in INPUTS:
        print(f"| {name} | {ns(median('canonical-request', 'copy-floor', name))} | {ns(median('canonical-request', 'sigv4', name))} |")
    print("\n### Key derivation\n")
    print("| sigv4 | aws-sigv4 |")
    print("| --- | --- |")
    print(f"| {ns(median('key-derivation', 'sigv4'))} | {ns(median('key-derivation', 'aws-sigv4'))} |")
    floor = median("chunked-64MiB", "sha256-floor")
    ours = median("chunked-64MiB", "sigv4-decode-verify")
    size = 64 * 1024 * 1024
    if floor and ours:
        print("\n### aws-chunked verification, 64 MiB in 64 KiB chunks, fed in 16 KiB reads\n")
        print("| SHA-256 of the body | sigv4 decode and verify | throughput, % of SHA-256 |")
        print("| --- | --- | --- |")
        print(f"| {ns(floor)} ({size / floor:.2f} GB/s) | {ns(ours)} ({size / ours:.2f} GB/s) | {100 * floor / ours:.0f}% |")


if __name__ == "__main__":
    main()
