#!/usr/bin/python3
"""PyTorch reference for signsnet: the Keras-notebook ResNet-50 (64x64x3 input, 6 classes).

Run with Debian's interpreter (deps: scripts/install-reference-deps.sh):
    /usr/bin/python3 bench/pytorch_reference.py speed --json
    /usr/bin/python3 bench/pytorch_reference.py accuracy --epochs 20 --seed 0

Known small departures from Keras: softmax + categorical cross-entropy is computed from logits
(Keras clips probabilities at 1e-7), and PyTorch's Adam adds eps to sqrt(v_hat) where Keras adds
it to sqrt(v); both matter only in the last digits.
"""
import argparse
import contextlib
import datetime
import json
import os
import statistics
import sys
import time

import h5py  # imported before any FTZ switch: numpy warns about subnormals otherwise
import torch
import torch.nn.functional as F
from torch import nn

NUM_CLASSES = 6
BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # PyTorch convention: 1 - Keras momentum 0.99
TRAINABLE_PARAMS = 23_546_886
BN_RUNNING_STATS = 53_120
TOTAL_PARAMS = 23_600_006  # Keras model.summary() total
STAGES = [  # (filters of the bottleneck, blocks, stride of the first block)
    ((64, 64, 256), 3, 1),
    ((128, 128, 512), 4, 2),
    ((256, 256, 1024), 6, 2),
    ((512, 512, 2048), 3, 2),
]
SPEED_VARIANTS = [
    "train_fp32_nchw", "train_fp32_cl", "train_bf16_cl",
    "infer_b32_fp32", "infer_b32_bf16", "infer_b1_fp32",
]


# ---------------------------------------------------------------- model

def conv_bn(cin, cout, kernel, stride=1, padding=0):
    """Conv (with bias) followed by BatchNorm with Keras' eps and momentum."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=True),
        nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM),
    )


class Bottleneck(nn.Module):
    """Keras notebook's convolutional block (projection=True) or identity block."""

    def __init__(self, cin, filters, stride=1, projection=False):
        super().__init__()
        f1, f2, f3 = filters
        self.branch = nn.Sequential(
            conv_bn(cin, f1, 1, stride), nn.ReLU(inplace=True),
            conv_bn(f1, f2, 3, 1, padding=1), nn.ReLU(inplace=True),
            conv_bn(f2, f3, 1),
        )
        self.shortcut = conv_bn(cin, f3, 1, stride) if projection else None

    def forward(self, x):
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(self.branch(x) + skip)


def make_stage(cin, filters, blocks, stride):
    """One convolutional block followed by (blocks - 1) identity blocks."""
    layers = [Bottleneck(cin, filters, stride, projection=True)]
    layers += [Bottleneck(filters[2], filters) for _ in range(blocks - 1)]
    return layers


def resnet50(num_classes=NUM_CLASSES):
    """ZeroPad 3, conv 7x7/2, BN, ReLU, maxpool 3x3/2, four stages, avgpool 2x2, dense."""
    layers = [nn.ZeroPad2d(3), conv_bn(3, 64, 7, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2)]
    cin = 64
    for filters, blocks, stride in STAGES:
        layers += make_stage(cin, filters, blocks, stride)
        cin = filters[2]
    layers += [nn.AvgPool2d(2), nn.Flatten(), nn.Linear(cin, num_classes)]
    return nn.Sequential(*layers)


def init_weights(model):
    """Keras notebook init: glorot_uniform, except uniform(-0.05, 0.05) in identity blocks."""
    identity_convs = set()
    for m in model.modules():
        if isinstance(m, Bottleneck) and m.shortcut is None:
            identity_convs |= {c for c in m.modules() if isinstance(c, nn.Conv2d)}
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if m in identity_convs:
                nn.init.uniform_(m.weight, -0.05, 0.05)
            else:
                nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def count_params(model):
    """(trainable, BN running mean/var) element counts; num_batches_tracked is not counted."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    running = sum(b.numel() for name, b in model.named_buffers()
                  if name.endswith(("running_mean", "running_var")))
    return trainable, running


def build_model(seed):
    """Seeded, initialised ResNet-50 whose parameter count is checked against Keras."""
    torch.manual_seed(seed)
    model = resnet50()
    init_weights(model)
    trainable, running = count_params(model)
    assert trainable == TRAINABLE_PARAMS, trainable
    assert running == BN_RUNNING_STATS, running
    assert trainable + running == TOTAL_PARAMS
    return model


def make_optimizer(model):
    """Adam with the notebook's (Keras default) settings."""
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)


def precision_ctx(bf16):
    """bf16 CPU autocast, or a no-op for fp32."""
    if bf16:
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_step(model, opt, x, y, bf16=False):
    """Forward, cross-entropy, backward, Adam step; returns (loss, logits)."""
    opt.zero_grad(set_to_none=True)
    with precision_ctx(bf16):
        logits = model(x)
        loss = F.cross_entropy(logits.float(), y)
    loss.backward()
    opt.step()
    return loss.detach(), logits.detach()


# ---------------------------------------------------------------- speed

def time_iters(fn, warmup, iters):
    """Runs fn warmup times untimed, then iters times; returns per-iteration seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def random_batch(batch, channels_last, seed):
    """Random images (N, 3, 64, 64) and labels."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 3, 64, 64, generator=g)
    y = torch.randint(0, NUM_CLASSES, (batch,), generator=g)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y


def prepared_model(seed, channels_last, train):
    """Fresh model in the requested layout and mode."""
    model = build_model(seed)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model.train(train)


def bench_train(args, channels_last, bf16):
    """Per-step seconds of full training steps at args.batch."""
    model = prepared_model(args.seed, channels_last, train=True)
    opt = make_optimizer(model)
    x, y = random_batch(args.batch, channels_last, args.seed)
    return time_iters(lambda: train_step(model, opt, x, y, bf16), args.warmup, args.iters)


def bench_infer(args, batch, bf16, iters):
    """Per-call seconds of eval-mode forward passes under no_grad."""
    cl = args.infer_layout == "cl"
    model = prepared_model(args.seed, cl, train=False)
    x, _ = random_batch(batch, cl, args.seed)

    def forward():
        with torch.no_grad(), precision_ctx(bf16):
            model(x)
    return time_iters(forward, args.warmup, iters)


def run_variant(name, args):
    """Dispatches one speed variant; returns per-iteration seconds and its batch size."""
    if name.startswith("train_"):
        return bench_train(args, channels_last=name.endswith("_cl"), bf16="bf16" in name), args.batch
    if name == "infer_b1_fp32":
        return bench_infer(args, 1, False, args.iters * args.b1_factor), 1
    return bench_infer(args, args.batch, "bf16" in name, args.iters), args.batch


def summarize(name, times, batch):
    """JSON fields for one variant: median-based figure first, then the mean."""
    med, mean = statistics.median(times), statistics.fmean(times)
    if name == "infer_b1_fp32":
        return {f"{name}_ms": med * 1e3, f"{name}_ms_mean": mean * 1e3}
    return {f"{name}_img_s": batch / med, f"{name}_img_s_mean": batch / mean}


def select_variants(only):
    """Expands --only (groups 'train', 'infer' or variant names) into variant names."""
    if not only:
        return list(SPEED_VARIANTS)
    chosen = []
    for token in only.split(","):
        token = token.strip()
        matches = [v for v in SPEED_VARIANTS if v == token or v.startswith(token + "_")]
        if not matches:
            sys.exit(f"--only: unknown variant '{token}'; choose from {SPEED_VARIANTS}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def cpu_info():
    """CPU model name and whether it has native bf16 (avx512_bf16 or AMX)."""
    model, flags = "unknown", set()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    return model, bool(flags & {"avx512_bf16", "amx_bf16"})


def run_speed(args):
    """Measures the selected variants and prints JSON or a table."""
    torch.set_num_threads(args.threads)
    cpu, native_bf16 = cpu_info()
    result = {"torch_version": torch.__version__, "threads": torch.get_num_threads(),
              "flush_denormal": args.flush_denormal,
              "batch": args.batch, "warmup": args.warmup, "iters": args.iters,
              "infer_layout": args.infer_layout, "cpu": cpu, "cpu_native_bf16": native_bf16,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    for name in select_variants(args.only):
        times, batch = run_variant(name, args)
        result.update(summarize(name, times, batch))
        if not args.json:
            print(f"  {name:<18} done ({len(times)} timed iterations)", file=sys.stderr)
    print(json.dumps(result, indent=2) if args.json else format_table(result))


def format_table(result):
    """Readable two-column table."""
    lines = []
    for key, value in result.items():
        shown = f"{value:10.2f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:<28} {shown}")
    return "\n".join(lines)


# ---------------------------------------------------------------- accuracy

def load_signs(data_dir, split):
    """SIGNS split as float NCHW tensor in [0, 1] and int64 labels."""
    with h5py.File(os.path.join(data_dir, f"{split}_signs.h5"), "r") as f:
        x = torch.from_numpy(f[f"{split}_set_x"][()])
        y = torch.from_numpy(f[f"{split}_set_y"][()]).reshape(-1).long()
    x = x.permute(0, 3, 1, 2).float().div_(255.0)
    return x.contiguous(memory_format=torch.channels_last), y


@contextlib.contextmanager
def batch_stats_mode(model):
    """train() mode (batch statistics) without letting it change the BN running stats."""
    saved = {k: v.clone() for k, v in model.state_dict().items()
             if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    was_training = model.training
    model.train()
    try:
        yield
    finally:
        model.load_state_dict(saved, strict=False)
        model.train(was_training)


def accuracy(model, x, y, batch, bf16):
    """Share of correct predictions, evaluated in batches under no_grad."""
    correct = 0
    with torch.no_grad(), precision_ctx(bf16):
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def evaluate_both(model, x, y, args):
    """Test accuracy with batch statistics (notebook's training=True) and running statistics."""
    with batch_stats_mode(model):
        acc_batch = accuracy(model, x, y, args.batch, args.bf16)
    model.eval()
    acc_running = accuracy(model, x, y, args.batch, args.bf16)
    model.train()
    return acc_batch, acc_running


def train_epoch(model, opt, x, y, args, gen):
    """One shuffled epoch; returns mean loss and training accuracy (as Keras reports them)."""
    order = torch.randperm(len(x), generator=gen)
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), args.batch):
        idx = order[i:i + args.batch]
        loss, logits = train_step(model, opt, x[idx], y[idx], args.bf16)
        loss_sum += loss.item() * len(idx)
        correct += (logits.argmax(1) == y[idx]).sum().item()
    return loss_sum / len(x), correct / len(x)


def run_accuracy(args):
    """Trains on SIGNS and reports per-epoch and final test accuracy both ways."""
    torch.set_num_threads(args.threads)
    x_train, y_train = load_signs(args.data, "train")
    x_test, y_test = load_signs(args.data, "test")
    model = build_model(args.seed).to(memory_format=torch.channels_last).train()
    opt = make_optimizer(model)
    gen = torch.Generator().manual_seed(args.seed)
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, seed {args.seed}, bf16 {args.bf16}", flush=True)
    history, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        loss, train_acc = train_epoch(model, opt, x_train, y_train, args, gen)
        secs = time.perf_counter() - t0
        acc_b, acc_r = evaluate_both(model, x_test, y_test, args)
        history.append({"epoch": epoch, "loss": loss, "train_acc": train_acc, "seconds": secs,
                        "test_acc_batch_stats": acc_b, "test_acc_running_stats": acc_r})
        print(f"epoch {epoch:3d}  loss {loss:.4f}  train_acc {train_acc:.4f}  {secs:6.1f} s "
              f"({len(x_train) / secs:5.1f} img/s)  test_acc batch-stats {acc_b:.4f} "
              f"running-stats {acc_r:.4f}", flush=True)
    report_accuracy(args, history, time.perf_counter() - start)


def report_accuracy(args, history, total_secs):
    """Final summary line, as JSON when --json."""
    last = history[-1]
    summary = {"epochs": args.epochs, "seed": args.seed, "threads": args.threads, "bf16": args.bf16,
               "flush_denormal": args.flush_denormal,
               "final_loss": last["loss"], "final_train_acc": last["train_acc"],
               "test_acc_batch_stats": last["test_acc_batch_stats"],
               "test_acc_running_stats": last["test_acc_running_stats"],
               "total_seconds": total_secs, "torch_version": torch.__version__}
    if args.json:
        summary["history"] = history
        print(json.dumps(summary, indent=2))
    else:
        print(f"final test accuracy: batch statistics {summary['test_acc_batch_stats']:.4f}, "
              f"running statistics {summary['test_acc_running_stats']:.4f} "
              f"({total_secs:.0f} s total)")


# ---------------------------------------------------------------- CLI

def parse_args(argv=None):
    """Command line: 'speed' and 'accuracy' subcommands."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("speed", "accuracy"):
        s = sub.add_parser(name)
        s.add_argument("--threads", type=int, default=2)
        s.add_argument("--batch", type=int, default=32)
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--json", action="store_true", help="print JSON instead of text")
        s.add_argument("--flush-denormal", action="store_true",
                       help="flush denormals to zero (TensorFlow does by default)")
    speed = sub.choices["speed"]
    speed.add_argument("--only", default="", help="comma list: train, infer or variant names "
                       + ", ".join(SPEED_VARIANTS))
    speed.add_argument("--warmup", type=int, default=3)
    speed.add_argument("--iters", type=int, default=10)
    speed.add_argument("--b1-factor", type=int, default=5, help="batch-1 runs iters x this")
    speed.add_argument("--infer-layout", choices=("cl", "nchw"), default="cl")
    acc = sub.choices["accuracy"]
    acc.add_argument("--data", default="/work/shared/datasets/signs")
    acc.add_argument("--epochs", type=int, default=20)
    acc.add_argument("--bf16", action="store_true", help="train and evaluate under bf16 autocast")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.flush_denormal:  # before any parallel op, so OpenMP workers inherit FTZ/DAZ
        torch.set_flush_denormal(True)
    run_speed(args) if args.command == "speed" else run_accuracy(args)


if __name__ == "__main__":
    main()
