#!/usr/bin/env python3
"""Turns signsnet-bench's JSON output (--benchmark_out=FILE --benchmark_out_format=json) into
the markdown report: whole-model figures with PyTorch ratios, stages, convolutions, the loader,
the optimizer, and the per-primitive breakdowns of one training step and of one batch-1 inference.
Standard library only."""
import argparse
import json
import re
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def rows_by_name(data):
    return {b["name"]: b for b in data["benchmarks"] if b.get("run_type", "iteration") == "iteration"}


def fmt(x, digits=1):
    return "-" if x is None else f"{x:,.{digits}f}"


def pct(b, peak):
    g = b.get("GFLOP/s")
    return None if g is None or not peak else 100.0 * g / peak


def model_section(rows, peak, torch):
    out = ["## Whole model (ResNet-50, 64x64x3, fp32)", "",
           "| benchmark | ms/iter | img/s | GFLOP/s | % of peak | PyTorch | signsnet / PyTorch |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    refs = {"BM_TrainStep/32/real_time": ("train_fp32_cl_img_s", "img/s, channels_last"),
            "BM_Inference/32/real_time": ("infer_b32_fp32_img_s", "img/s"),
            "BM_Inference/1/real_time": ("infer_b1_fp32_ms", "ms/image")}
    for name in ["BM_TrainStep/32/real_time", "BM_TrainStep/1/real_time",
                 "BM_Inference/32/real_time", "BM_Inference/1/real_time"]:
        b = rows.get(name)
        if not b:
            continue
        ref, ratio = "-", "-"
        if name in refs and refs[name][0] in torch:
            key, unit = refs[name]
            value = torch[key]
            ref = f"{value:,.1f} {unit}"
            mine = b["real_time"] if key.endswith("_ms") else b["img/s"]
            ratio = f"{(value / mine if key.endswith('_ms') else mine / value):.2f}x"
        out.append(f"| {short(name)} | {fmt(b['real_time'])} | {fmt(b['img/s'])} | "
                   f"{fmt(b['GFLOP/s'])} | {fmt(pct(b, peak))} | {ref} | {ratio} |")
    return out


def table(rows, prefix, title, peak, label=False):
    out = [f"## {title}", "", "| benchmark | ms | img/s | GFLOP/s | % of peak |" + (" kernel |" if label else ""),
           "| --- | --- | --- | --- | --- |" + (" --- |" if label else "")]
    for name, b in rows.items():
        if not name.startswith(prefix):
            continue
        line = (f"| {short(name)} | {fmt(b['real_time'], 2)} | {fmt(b.get('img/s'))} | "
                f"{fmt(b.get('GFLOP/s'))} | {fmt(pct(b, peak))} |")
        out.append(line + (f" {b.get('label', '')} |" if label else ""))
    return out


def short(name):
    """A benchmark's name without Google Benchmark's run settings (iterations, min_time, ...)."""
    return re.sub(r"/(manual_time|real_time|iterations:\d+|min_time:[0-9.]+)", "", name)


def simple(rows, prefix, title, counters):
    out = [f"## {title}", "", "| benchmark | ms | " + " | ".join(counters) + " |",
           "| --- | --- |" + " --- |" * len(counters)]
    for name, b in rows.items():
        if name.startswith(prefix):
            vals = " | ".join(fmt(b.get(c)) for c in counters)
            out.append(f"| {short(name)} | {fmt(b['real_time'], 2)} | {vals} |")
    return out


def breakdown_section(ctx, key="breakdown_batch32",
                      title="One training step, primitive by primitive (batch 32, median of 5)",
                      what="the step", digits=2):
    raw = ctx.get(key)
    if not raw:
        return []
    records = json.loads(raw)
    total = sum(ms for _, ms in records) or 1.0
    out = [f"## {title}", "",
           f"Total {total:,.{digits - 1}f} ms (timed one primitive at a time, so a little above {what}).", "",
           "| layer | direction | ms | share |", "| --- | --- | --- | --- |"]
    for name, ms in records:
        layer, _, direction = name.partition(" ")  # dotted layer names hold no space
        out.append(f"| {layer or name} | {direction if layer else ''} | {ms:.{digits}f} | {100 * ms / total:.1f}% |")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("json_file")
    args = p.parse_args(argv)
    data = load(args.json_file)
    ctx = data.get("context", {})
    rows = rows_by_name(data)
    peak = float(ctx.get("peak_gflops", 0) or 0)
    torch = json.loads(ctx["pytorch"]) if ctx.get("pytorch") else {}
    out = ["# signsnet-bench report", "",
           f"Date {ctx.get('date', '?')}, host {ctx.get('host_name', '?')}, "
           f"{ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
           f"{ctx.get('threads', '?')} threads. Peak (fp32 oneDNN matmul 2048^3, measured at start): "
           f"{peak:,.1f} GFLOP/s."]
    if ctx.get("read_gbps"):
        out.append(f"Read bandwidth (all threads re-reading a buffer the size of the weights, "
                   f"measured at start): "
                   f"{float(ctx['read_gbps']):,.1f} GB/s. Layer-by-layer inference floor at that "
                   f"peak and bandwidth (flops.hpp): batch 1 "
                   f"{float(ctx.get('inference_floor_ms_batch1', 0)):,.2f} ms, batch 32 "
                   f"{float(ctx.get('inference_floor_ms_batch32', 0)):,.1f} ms; by stage at batch 1 (ms): "
                   f"{ctx.get('inference_floor_ms_batch1_by_stage', '?')}.")
    if torch:
        out.append(f"PyTorch {torch.get('torch_version', '?')} measured in the same run, "
                   f"{torch.get('threads', '?')} threads.")
    out.append("")
    for section in (model_section(rows, peak, torch),
                    table(rows, "BM_Stage/", "Stages inside a training step", peak),
                    table(rows, "BM_Conv/", "Each distinct convolution (batch 32)", peak, label=True),
                    simple(rows, "loader_benchmark", "Data loader (1080 images per iteration)", ["items_per_second"]),
                    simple(rows, "optimizer_benchmark", "Optimizer update (23.5 M parameters)", ["params/s", "GB/s"]),
                    breakdown_section(ctx),
                    breakdown_section(ctx, "inference_breakdown_batch1",
                                      "Inference of one image, primitive by primitive (median of 21)",
                                      "predict", 3)):
        if len(section) > 4 or (section and "training step" in section[0]):
            out += section + [""]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
