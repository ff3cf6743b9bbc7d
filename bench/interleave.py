#!/usr/bin/env python3
"""Compares signsnet with the PyTorch reference in alternating rounds, so that both see the same
phases of a shared machine: each round runs bench/pytorch_reference.py and signsnet-bench's
whole-model benchmarks back to back (the order alternates between rounds), and the report gives
every round's ratio and their median. Standard library only; PyTorch runs under /usr/bin/python3."""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, signsnet benchmark, PyTorch key, higher is better)
FIGURES = [("training step, batch 32 (img/s)", "BM_TrainStep/32/real_time", "train_fp32_cl_img_s", True),
           ("inference, batch 32 (img/s)", "BM_Inference/32/real_time", "infer_b32_fp32_img_s", True),
           ("inference, batch 1 (ms/image)", "BM_Inference/1/real_time", "infer_b1_fp32_ms", False)]


def run_json(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"interleave.py: {cmd[0]} {cmd[1]} failed (exit {result.returncode}): "
                 f"{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'no message'}")
    return json.loads(result.stdout)


def pytorch_round(args):
    return run_json(["/usr/bin/python3", os.path.join(HERE, "pytorch_reference.py"), "speed", "--json",
                     "--threads", str(args.threads), "--only", "train_fp32_cl,infer_b32_fp32,infer_b1_fp32"])


def signsnet_round(args):
    data = run_json([args.bench, f"--threads={args.threads}", "--benchmark_format=json",
                     "--benchmark_filter=BM_TrainStep/32|BM_Inference",
                     f"--benchmark_min_time={args.min_time}"])
    ctx = data.get("context", {})
    out = {key: float(ctx[key]) for key in ("peak_gflops", "read_gbps", "inference_floor_ms_batch1")
           if key in ctx}
    for b in data["benchmarks"]:
        out[b["name"]] = b["real_time"] if b["name"].startswith("BM_Inference/1/") else b["img/s"]
    return out


def ratio(mine, theirs, higher_is_better):
    return mine / theirs if higher_is_better else theirs / mine


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-time", type=float, default=5.0, help="signsnet-bench seconds per benchmark")
    p.add_argument("--bench", default="build/bench/signsnet-bench")
    p.add_argument("--json-out", help="also write every round's figures to this file")
    args = p.parse_args()
    if args.rounds < 1:
        sys.exit("interleave.py: --rounds must be at least 1")
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"interleave.py: --bench: {args.bench} is not an executable (build first)")
    rounds = []
    for r in range(args.rounds):
        order = ("pytorch", "signsnet") if r % 2 == 0 else ("signsnet", "pytorch")
        got = {}
        for who in order:
            got[who] = pytorch_round(args) if who == "pytorch" else signsnet_round(args)
            print(f"round {r + 1}: {who} done", file=sys.stderr)
        rounds.append({"order": list(order), **got})
    lines = ["| figure | round | signsnet | PyTorch | signsnet / PyTorch |", "| --- | --- | --- | --- | --- |"]
    summary = {}
    for label, name, key, higher in FIGURES:
        ratios = []
        for i, r in enumerate(rounds):
            mine, theirs = r["signsnet"].get(name), r["pytorch"].get(key)
            if mine is None or theirs is None:
                continue
            ratios.append(ratio(mine, theirs, higher))
            lines.append(f"| {label} | {i + 1} ({r['order'][0]} first) | {mine:,.1f} | {theirs:,.1f} | "
                         f"{ratios[-1]:.2f}x |")
        if ratios:
            summary[name] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}
            lines.append(f"| {label} | **median of {len(ratios)}** | | | **{summary[name]['median']:.2f}x** "
                         f"(range {min(ratios):.2f} to {max(ratios):.2f}) |")
    floors = [r["signsnet"] for r in rounds if "inference_floor_ms_batch1" in r["signsnet"]]
    if floors:
        lines += ["", "Batch-1 floor of layer-by-layer inference, each round's own peak and read bandwidth "
                  "(bench/flops.hpp): " + ", ".join(
                      f"{f['inference_floor_ms_batch1']:.2f} ms ({f['peak_gflops']:.0f} GFLOP/s, "
                      f"{f['read_gbps']:.1f} GB/s)" for f in floors)]
    print("\n".join(lines))
    if args.json_out:
        with open(args.json_out + ".tmp", "w") as f:
            json.dump({"threads": args.threads, "min_time": args.min_time, "rounds": rounds,
                       "ratios": summary}, f, indent=2)
        os.replace(args.json_out + ".tmp", args.json_out)


if __name__ == "__main__":
    main()
