#!/usr/bin/env python3
"""nnc cv beside scikit-learn's pipelines on penguins.csv, on the same folds.

For each task (species and sex as classes, body mass as a regression) this
runs `nnc cv` with --folds-out, reads back which rows made each fold, and
scores scikit-learn's usual pipeline on exactly those folds: a
ColumnTransformer with SimpleImputer (median for numbers, most frequent for
categories), OneHotEncoder(handle_unknown="ignore") and StandardScaler, then
LogisticRegression / Ridge and a 64-unit MLP. The scores are accuracy and R2,
cross_val_score's defaults. scikit-learn is a comparison here, never a
dependency of nnc (Debian's python3-sklearn; bench/setup installs it).

    /usr/bin/python3 bench/penguins.py --nnc build/nnc [--data tests/data/penguins.csv]
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING = {"", "na", "n/a", "nan", "null", "?"}   # nnc_cell_is_missing's set
TEXT = {"species", "island", "sex"}

# target, kind, the nnc cv options beyond --data/--target/--seed
TASKS = [
    ("species", "classification", []),
    ("sex", "classification", []),
    ("body_mass_g", "regression", []),
]


def read_table(path):
    """Rows by the file line they start on, each a dict of column -> text."""
    rows = {}
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        start = reader.line_num + 1
        for record in reader:
            rows[start] = dict(zip(header, record))
            start = reader.line_num + 1
    return header, rows


def run_nnc(nnc, data, target, options, seed, folds_path):
    cmd = [nnc, "cv", "--data", data, "--target", target, "--seed", str(seed),
           "--folds-out", folds_path] + options
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    scores = [float(m.group(1)) for m in
              re.finditer(r"^fold \d+/\d+: (?:accuracy|R2) (-?[0-9.]+)", out, re.M)]
    return cmd, scores


def read_folds(path):
    with open(path, newline="") as f:
        return [(int(r["line"]), int(r["fold"])) for r in csv.DictReader(f)]


def matrix(header, rows, lines, target, kind):
    inputs = [c for c in header if c != target]
    x = np.empty((len(lines), len(inputs)), dtype=object)
    y = []
    for i, line in enumerate(lines):
        row = rows[line]
        for j, c in enumerate(inputs):
            cell = row[c].strip()
            if cell.lower() in MISSING:
                x[i, j] = np.nan
            else:
                x[i, j] = cell if c in TEXT else float(cell)
        y.append(row[target] if kind == "classification" else float(row[target]))
    numeric = [j for j, c in enumerate(inputs) if c not in TEXT]
    text = [j for j, c in enumerate(inputs) if c in TEXT]
    return x, np.array(y), numeric, text


def pipelines(kind, numeric, text):
    def columns():
        return ColumnTransformer([
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             numeric),
            ("categories", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                         OneHotEncoder(handle_unknown="ignore")), text),
        ])
    if kind == "classification":
        return [("LogisticRegression", lambda: make_pipeline(
                    columns(), LogisticRegression(max_iter=5000))),
                ("MLPClassifier(64)", lambda: make_pipeline(
                    columns(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=2000,
                                             random_state=0)))]
    return [("Ridge", lambda: make_pipeline(columns(), Ridge())),
            ("MLPRegressor(64)", lambda: make_pipeline(
                columns(), MLPRegressor(hidden_layer_sizes=(64,), max_iter=5000,
                                        random_state=0)))]


def sklearn_scores(make, x, y, fold, kind):
    scores = []
    for f in sorted(set(fold)):
        test = fold == f
        model = make()
        model.fit(x[~test], y[~test])
        pred = model.predict(x[test])
        scores.append(accuracy_score(y[test], pred) if kind == "classification"
                      else r2_score(y[test], pred))
    return scores


def describe(scores):
    return "%.4f +- %.4f" % (np.mean(scores), np.std(scores))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nnc", required=True, help="the nnc program")
    ap.add_argument("--data", default="tests/data/penguins.csv")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    header, rows = read_table(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        for target, kind, options in TASKS:
            folds_path = os.path.join(tmp, target + ".csv")
            cmd, nnc_scores = run_nnc(args.nnc, args.data, target, options, args.seed,
                                      folds_path)
            assigned = read_folds(folds_path)
            lines = [line for line, _ in assigned]
            fold = np.array([f for _, f in assigned])
            x, y, numeric, text = matrix(header, rows, lines, target, kind)
            metric = "accuracy" if kind == "classification" else "R2"
            print("%s (%s, %d rows, %d folds): %s" % (target, metric, len(lines),
                                                       len(set(fold)), " ".join(cmd[1:])))
            print("  %-32s %s   folds: %s" % ("nnc cv", describe(nnc_scores),
                                              " ".join("%.4f" % s for s in nnc_scores)))
            best = None
            for name, make in pipelines(kind, numeric, text):
                scores = sklearn_scores(make, x, y, fold, kind)
                print("  %-32s %s   folds: %s" % ("scikit-learn " + name, describe(scores),
                                                  " ".join("%.4f" % s for s in scores)))
                best = max(best or -1e9, float(np.mean(scores)))
            gap = np.mean(nnc_scores) - best
            bar = -0.01 if kind == "classification" else -0.02
            print("  nnc - best scikit-learn: %+.4f (bar: >= %.2f) %s" %
                  (gap, bar, "met" if gap >= bar else "NOT MET"))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
