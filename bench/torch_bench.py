#!/usr/bin/python3
"""PyTorch on the CPU, the same work as nnc_bench: Fashion-MNIST 784-128-10 and a CNN.

The network is Linear(784, 128) -> ReLU -> Linear(128, 10); the loss is
torch.nn.functional.cross_entropy on the logits (softmax cross-entropy, mean
over the batch); the optimiser is plain SGD, learning rate 0.01, no momentum.
The weights start as nnc's NNC_INIT_HE does, N(0, 2 / fan_in) with zero biases
(--init torch keeps PyTorch's own uniform start, which learns more slowly in
one epoch: about 78 % against 80 % at batch 32).

    /usr/bin/python3 bench/torch_bench.py --case train    [--threads N] [--batch B] [--samples N]
    /usr/bin/python3 bench/torch_bench.py --case infer    [--threads N] [--samples N]
    /usr/bin/python3 bench/torch_bench.py --case accuracy [--threads N] [--batch B] [--samples N]

The cnn-* cases do the same on issue 11's CNN: Conv2d(1, 32, 3, padding=1) ->
ReLU -> MaxPool2d(2) -> Conv2d(32, 64, 3, padding=1) -> ReLU -> MaxPool2d(2)
-> Flatten -> Linear(3136, 128) -> ReLU -> Linear(128, 10), SGD with
momentum 0.9 at learning rate 0.01 (nnc_bench's), He-initialised as nnc's
NNC_INIT_HE does (fan-in C * k * k for a convolution), batch 64 by default.
Debian's build runs the convolutions in oneDNN and the linear layers in
OpenBLAS.

    /usr/bin/python3 bench/torch_bench.py --case cnn-train|cnn-infer|cnn-accuracy ...

Each prints JSON lines, one per measurement:
  train     samples_per_s  one pass over the first --samples (default 60000)
                           training images at --batch; only the loop is timed
  infer     us_per_pred    --samples (default 10000) single-image predictions
                           (softmax probabilities) under inference_mode
                           (no_grad and no version counting), model.eval()
  accuracy  test_accuracy  one epoch at --batch (default 32) over --samples
                           (default all 60000), then accuracy on the 10000
                           test images

Data are read from /usr/share/datasets/fashion-mnist (Debian's
dataset-fashion-mnist), pixels / 255 as float32, and held in memory before any
timing starts. The training order is one fixed permutation (seed --seed), drawn
and applied before the clock starts, so batches are contiguous slices.
Threads: torch.set_num_threads(--threads); the OpenMP and OpenBLAS environment
(OMP_NUM_THREADS, OMP_WAIT_POLICY, OPENBLAS_NUM_THREADS) is the caller's and is
echoed in "note". Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
LEARNING_RATE = 0.01
CNN_MOMENTUM = 0.9
WARMUP_STEPS = 20


def read_idx(path, magic):
    """An IDX file (gzip) as a uint8 array shaped by its header."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[0:4], "big")
    if got != magic:
        raise SystemExit("%s: IDX magic 0x%08x, expected 0x%08x" % (path, got, magic))
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load(split, limit=None):
    """(images [n, 784] float32 in [0, 1], labels [n] int64) as torch tensors."""
    images = read_idx(os.path.join(DATA_DIR, "%s-images-idx3-ubyte.gz" % split), 0x00000803)
    labels = read_idx(os.path.join(DATA_DIR, "%s-labels-idx1-ubyte.gz" % split), 0x00000801)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x.contiguous(), y.contiguous()


def make_model(init="he"):
    """784-128-10; init "he" is nnc's NNC_INIT_HE: weights ~ N(0, 2 / fan_in),
    biases 0. "torch" keeps PyTorch's default (uniform, +-1/sqrt(fan_in))."""
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    if init == "he":
        with torch.no_grad():
            for layer in (model[0], model[2]):
                layer.weight.normal_(0.0, (2.0 / layer.in_features) ** 0.5)
                layer.bias.zero_()
    return model


def make_cnn(init="he"):
    """Issue 11's CNN; init "he" draws every weight from N(0, 2 / fan_in)
    (fan_in = in_channels * 3 * 3 for a convolution) with zero biases."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    if init == "he":
        with torch.no_grad():
            for layer in model:
                if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
                    fan_in = layer.weight[0].numel()
                    layer.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
                    layer.bias.zero_()
    return model


def is_cnn(args):
    return args.case.startswith("cnn-")


def build(args):
    return make_cnn(args.init) if is_cnn(args) else make_model(args.init)


def make_optimizer(model, cnn=False):
    return torch.optim.SGD(model.parameters(), lr=LEARNING_RATE,
                           momentum=CNN_MOMENTUM if cnn else 0.0)


def as_images(x, args):
    """[n, 784] rows as [n, 1, 28, 28] images for the CNN (a view)."""
    return x.view(-1, 1, 28, 28) if is_cnn(args) else x


def shuffled(x, y, seed):
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    return x[perm].contiguous(), y[perm].contiguous()


def train_epoch(model, opt, x, y, batch):
    """One pass in order over x, y at `batch` (the last batch may be short)."""
    n = len(x)
    for start in range(0, n, batch):
        xb = x[start:start + batch]
        yb = y[start:start + batch]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return loss


def warm_up(x, y, batch, args):
    """A few steps on a throwaway model: thread pools and allocator warm."""
    model = build(args)
    opt = make_optimizer(model, is_cnn(args))
    k = min(len(x), WARMUP_STEPS * batch)
    train_epoch(model, opt, x[:k], y[:k], batch)


def env_note(threads):
    env = ",".join("%s=%s" % (k, os.environ[k])
                   for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")
                   if k in os.environ)
    return "torch %s, set_num_threads(%d) -> get_num_threads()=%d; env: %s" % (
        torch.__version__, threads, torch.get_num_threads(), env or "(none)")


def emit(args, metric, value, unit, **extra):
    rec = {"impl": "torch", "case": args.case, "batch": args.batch,
           "threads": args.threads, "metric": metric, "value": value, "unit": unit}
    rec.update(extra)
    rec["init"] = args.init
    rec["note"] = env_note(args.threads)
    print(json.dumps(rec), flush=True)


def case_train(args):
    n = 60000 if args.samples is None else args.samples
    x, y = load("train", n)
    x, y = shuffled(x, y, args.seed)
    x = as_images(x, args)
    warm_up(x, y, args.batch, args)
    torch.manual_seed(args.seed)
    model = build(args)
    opt = make_optimizer(model, is_cnn(args))
    t0 = time.perf_counter()
    loss = train_epoch(model, opt, x, y, args.batch)
    elapsed = time.perf_counter() - t0
    emit(args, "samples_per_s", len(x) / elapsed, "samples/s",
         samples=len(x), seconds=elapsed, last_loss=float(loss))


def case_infer(args):
    n = 10000 if args.samples is None else args.samples
    x, _ = load("t10k", None)
    x = as_images(x, args)
    torch.manual_seed(args.seed)
    model = build(args)
    model.eval()
    rows = [x[i % len(x)].unsqueeze(0) for i in range(n)]  # views, made before timing
    with torch.inference_mode():  # no_grad and more: PyTorch's fastest eager inference
        for r in rows[:min(n, 100)]:  # warm-up
            torch.softmax(model(r), dim=1)
        t0 = time.perf_counter()
        for r in rows:
            p = torch.softmax(model(r), dim=1)
        elapsed = time.perf_counter() - t0
    emit(args, "us_per_pred", elapsed / n * 1e6, "us", samples=n,
         last_max_prob=float(p.max()), mode="eval, inference_mode, softmax included")


def case_accuracy(args):
    n = 60000 if args.samples is None else args.samples
    x, y = load("train", n)
    x, y = shuffled(x, y, args.seed)
    x = as_images(x, args)
    xt, yt = load("t10k", None)
    xt = as_images(xt, args)
    torch.manual_seed(args.seed)
    model = build(args)
    opt = make_optimizer(model, is_cnn(args))
    t0 = time.perf_counter()
    loss = train_epoch(model, opt, x, y, args.batch)
    elapsed = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        correct = int((model(xt).argmax(dim=1) == yt).sum())
    emit(args, "test_accuracy", correct / len(xt), "fraction", samples=len(x),
         test_samples=len(xt), seconds=elapsed, last_loss=float(loss))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", required=True, choices=["train", "infer", "accuracy", "cnn-train",
                                                     "cnn-infer", "cnn-accuracy"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--samples", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--init", choices=["he", "torch"], default="he",
                   help="he: N(0, 2/fan_in) weights, zero biases, as nnc's "
                        "NNC_INIT_HE (default); torch: PyTorch's default")
    args = p.parse_args(argv)
    if args.batch is None:
        args.batch = (64 if is_cnn(args) and args.case != "cnn-infer"
                      else 32 if args.case == "accuracy" else 1)
    if args.case in ("infer", "cnn-infer"):
        args.batch = 1
    if args.threads < 1 or args.batch < 1 or (args.samples is not None and args.samples < 1):
        p.error("--threads, --batch and --samples must be at least 1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    {"train": case_train, "infer": case_infer, "accuracy": case_accuracy}[
        args.case[4:] if is_cnn(args) else args.case](args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
