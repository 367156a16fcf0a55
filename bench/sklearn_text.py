#!/usr/bin/python3
"""scikit-learn's side of the benchmark's text case (bench/run.py drives it).

    /usr/bin/python3 bench/sklearn_text.py --case text --corpus DIR --vocab N
        [--epochs E] [--batch B] [--threads T] [--samples N] [--dtype float32|float64]

The same documents as nnc_bench's text case (DIR/text-train.csv and
DIR/text-test.csv, written by `nnc_bench --case text-corpus`), the same
features as far as scikit-learn has them: TfidfVectorizer(sublinear_tf=True,
max_features=N, a word being a run of letters and digits as nnc's is,
case-folded), rows scaled to unit length; then MLPClassifier with nnc's
network and training: one hidden layer of 64 ReLU units, softmax output,
Adam at 0.01 (betas 0.9, 0.999, epsilon 1e-8), batches of B, shuffled, no
L2 penalty (alpha=0, as nnc has no decay), no early stopping, every one of
the E epochs run (tol=0, n_iter_no_change past E). MLPClassifier takes the
sparse rows as they are: its first layer's products are scipy's sparse
ones, its gradients, Adam's moments and updates over every weight, dense.
float32 features by default: MLPClassifier keeps their dtype, and nnc
computes in floats too.

One JSON line per figure on stdout, as every bench program: s_per_epoch
(MLPClassifier.fit's seconds / n_iter_: initialisation included, as nnc's
figure includes nnc_fit's), test_accuracy, train_accuracy (on the training
documents after the fit), terms, nnz_per_row, vectorize_s. The thread
settings come from the environment (run.py sets them); the sparse products
and Adam's elementwise updates run on one thread whatever they say.
"""
import argparse
import csv
import json
import os
import sys
import time
import warnings


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="text")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--vocab", type=int, default=50000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--samples", type=int, default=None,
                    help="ignored: the corpus has the documents it was written with")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.case != "text":
        sys.exit("sklearn_text.py: only the text case")

    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neural_network import MLPClassifier

    tr_x, tr_y = read(os.path.join(args.corpus, "text-train.csv"))
    te_x, te_y = read(os.path.join(args.corpus, "text-test.csv"))
    dtype = np.float32 if args.dtype == "float32" else np.float64

    start = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True, max_features=args.vocab, lowercase=True,
                          token_pattern=r"(?u)\w+", dtype=dtype)
    a = vec.fit_transform(tr_x)
    vectorize = time.perf_counter() - start
    b = vec.transform(te_x)

    model = MLPClassifier(hidden_layer_sizes=(64,), activation="relu", solver="adam",
                          alpha=0.0, batch_size=args.batch, learning_rate_init=0.01,
                          beta_1=0.9, beta_2=0.999, epsilon=1e-8, shuffle=True,
                          max_iter=args.epochs, tol=0.0, n_iter_no_change=args.epochs + 1,
                          early_stopping=False, random_state=args.seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(a, tr_y)
    seconds = time.perf_counter() - start

    note = "scikit-learn %s, numpy %s, %s features" % (sklearn.__version__, np.__version__,
                                                       args.dtype)

    def emit(metric, value, unit):
        print(json.dumps({"impl": "sklearn", "case": args.case, "batch": args.batch,
                          "threads": args.threads, "vocab": args.vocab,
                          "epochs": model.n_iter_, "metric": metric, "value": value,
                          "unit": unit, "note": note}), flush=True)

    emit("s_per_epoch", seconds / model.n_iter_, "s/epoch")
    emit("terms", a.shape[1], "terms")
    emit("nnz_per_row", a.nnz / a.shape[0], "non-zeros")
    emit("documents", a.shape[0], "documents")
    emit("vectorize_s", vectorize, "s")
    emit("train_accuracy", float(model.score(a, tr_y)), "fraction")
    emit("test_accuracy", float(model.score(b, te_y)), "fraction")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
