#!/usr/bin/env python3
"""nnc beside scikit-learn on debian_packages.csv, on the same rows.

A stratified 80/20 split (scikit-learn's train_test_split, seeded) is
written to two CSV files; scikit-learn's TfidfVectorizer(sublinear_tf=True)
+ LogisticRegression(C=10) is fitted on the first and scored on the second,
and `nnc train --data train.csv --test-data test.csv --text description`
does the same from raw text (its own validation part, for early stopping,
comes out of train.csv). The figures are test accuracy and the seconds each
took, the text's vectorising included. A second line puts nnc's network
beside scikit-learn's MLPClassifier with the same hidden layer on the same
tf-idf features. scikit-learn is a comparison, never a dependency of nnc
(Debian's python3-sklearn; bench/setup installs it).

    /usr/bin/python3 bench/text.py --nnc build/nnc [--data tests/data/debian_packages.csv]
        [--seeds 0,1,2,3,4] [--nnc-options "..."]
"""
import argparse
import csv
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier


# The options docs/results.md gives: every training row used (no early
# stopping), a 64-unit layer with dropout, Snowball stems.
DOCUMENTED = "--validation 0 --epochs 6 --layers 64,dropout:0.5 --normalize stem"


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["description"] for r in rows], [r["section"] for r in rows]


def write(path, texts, labels):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["description", "section"])
        for t, y in zip(texts, labels):
            w.writerow([t, y])


def sklearn_lr(tr_x, tr_y, te_x, te_y):
    start = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True)
    a = vec.fit_transform(tr_x)
    model = LogisticRegression(C=10, max_iter=2000).fit(a, tr_y)
    acc = accuracy_score(te_y, model.predict(vec.transform(te_x)))
    return acc, time.perf_counter() - start


def sklearn_mlp(tr_x, tr_y, te_x, te_y, hidden, epochs, seed):
    vec = TfidfVectorizer(sublinear_tf=True)
    a = vec.fit_transform(tr_x)
    b = vec.transform(te_x)
    start = time.perf_counter()
    model = MLPClassifier(hidden_layer_sizes=(hidden,), batch_size=32, learning_rate_init=0.01,
                          max_iter=epochs, n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(a, tr_y)
    secs = time.perf_counter() - start
    return accuracy_score(te_y, model.predict(b)), secs / model.n_iter_, a.shape[1]


def run_nnc(nnc, train, test, options, seed):
    cmd = [nnc, "train", "--data", train, "--test-data", test, "--text", "description",
           "--target", "section", "--seed", str(seed), "--json",
           "--out", os.path.join(os.path.dirname(train), "model.nnc")] + options
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit("nnc failed: %s\n%s" % (" ".join(cmd), done.stderr))
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return summary, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nnc", default="build/nnc")
    ap.add_argument("--data", default="tests/data/debian_packages.csv")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--nnc-options", default=DOCUMENTED)
    args = ap.parse_args()
    texts, labels = read(args.data)
    options = shlex.split(args.nnc_options)
    print("debian_packages.csv: %d texts, stratified 80/20 splits; nnc options: %s"
          % (len(texts), " ".join(options)))
    ours, theirs = [], []
    for seed in [int(s) for s in args.seeds.split(",")]:
        tr_x, te_x, tr_y, te_y = train_test_split(texts, labels, test_size=0.2,
                                                  stratify=labels, random_state=seed)
        with tempfile.TemporaryDirectory() as tmp:
            train = os.path.join(tmp, "train.csv")
            test = os.path.join(tmp, "test.csv")
            write(train, tr_x, tr_y)
            write(test, te_x, te_y)
            lr_acc, lr_secs = sklearn_lr(tr_x, tr_y, te_x, te_y)
            summary, secs = run_nnc(args.nnc, train, test, options, seed + 1)
        acc = summary["metrics"]["test"]["accuracy"]
        epochs = summary["epochs_run"]
        ours.append(acc)
        theirs.append(lr_acc)
        print("split %d: nnc %.4f (%d epochs, %.2f s in all)   scikit-learn tf-idf + "
              "LogisticRegression(C=10) %.4f (%.2f s)   difference %+.4f"
              % (seed, acc, epochs, secs, lr_acc, lr_secs, acc - lr_acc))
    if len(ours) > 1:
        print("mean over %d splits: nnc %.4f +- %.4f, scikit-learn %.4f +- %.4f, difference %+.4f"
              % (len(ours), statistics.mean(ours), statistics.stdev(ours),
                 statistics.mean(theirs), statistics.stdev(theirs),
                 statistics.mean(ours) - statistics.mean(theirs)))


if __name__ == "__main__":
    main()
