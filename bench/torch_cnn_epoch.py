#!/usr/bin/python3
"""PyTorch's side of issue 11's end-to-end comparison: one epoch of the CNN
that `nnc train --layers conv:32:3,maxpool:2,conv:64:3,maxpool:2,dense:128`
builds, timed as a user's whole run is (reading the gzip files included).

Network: Conv2d(1, 32, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Conv2d(32,
64, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(3136, 128) ->
ReLU -> Linear(128, 10), softmax cross-entropy on the logits, SGD with
momentum 0.9 at learning rate 0.05, batches of 64 over 48,000 of the 60,000
training images (nnc's default 20 % validation), then the validation and the
10,000 test images in inference mode, and finally the mean latency of 200
single-image forward passes.

    /usr/bin/python3 bench/torch_cnn_epoch.py [THREADS]

The nnc command it sits beside (docs/results.md):
    OPENBLAS_NUM_THREADS=THREADS nnc train --images ... --test-images ... \
        --layers conv:32:3,maxpool:2,conv:64:3,maxpool:2,dense:128 --epochs 1 \
        --batch-size 64 --optimizer momentum --learning-rate 0.05 --seed 1
Pixels are scaled to [0, 1] here; nnc standardises them by default.
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist/"


def images(name):
    with gzip.open(DATA + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)


def labels(name):
    with gzip.open(DATA + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)


def accuracy(net, x, y):
    right = 0
    for b in range(0, len(x), 1000):
        right += (net(x[b:b + 1000].float() / 255).argmax(1) == y[b:b + 1000]).sum().item()
    return right / len(x)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    started = time.time()
    x = torch.tensor(images("train-images-idx3-ubyte.gz"))
    y = torch.tensor(labels("train-labels-idx1-ubyte.gz")).long()
    x_test = torch.tensor(images("t10k-images-idx3-ubyte.gz"))
    y_test = torch.tensor(labels("t10k-labels-idx1-ubyte.gz")).long()
    net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rows = 48000
    order = torch.randperm(60000)
    train, val = order[:rows], order[rows:]
    loop_start = time.time()
    net.train()
    for b in range(0, rows, 64):
        idx = train[b:b + 64]
        opt.zero_grad()
        loss_fn(net(x[idx].float() / 255), y[idx]).backward()
        opt.step()
    loop_end = time.time()
    net.eval()
    with torch.no_grad():
        val_acc = accuracy(net, x[val], y[val])
        test_acc = accuracy(net, x_test, y_test)
        one = x_test[:1].float() / 255
        for _ in range(20):
            net(one)
        t = time.time()
        for _ in range(200):
            net(one)
        single = (time.time() - t) / 200
    whole = time.time() - started - 200 * single - 20 * single
    print(f"threads {threads}: training loop {loop_end - loop_start:.2f} s "
          f"({rows / (loop_end - loop_start):.0f} samples/s), whole run {whole:.2f} s "
          f"(without the latency loop), validation {val_acc:.4f}, test {test_acc:.4f}, "
          f"single image {single * 1e6:.0f} us")


if __name__ == "__main__":
    main()
