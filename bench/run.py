#!/usr/bin/python3
"""Runs nnc and the alternatives on the same work and writes a markdown report.

    /usr/bin/python3 bench/run.py [--reps R] [--tiny] [--out FILE]
                                  [--nnc PATH] [--fann PATH] [--cases LIST]
                                  [--nnc-base PATH]

The programs (each prints one JSON object per line, see below):
  nnc    build/bench/nnc_bench        tutorial, train, infer, sgemm, accuracy,
                                      cnn-train, cnn-infer, cnn-sgemm, cnn-accuracy,
                                      text (and text-corpus, which writes its data)
  numpy  bench/numpy_tutorial.py      tutorial
  torch  bench/torch_bench.py         train, infer, accuracy, cnn-train, cnn-infer,
                                      cnn-accuracy
  fann   build/bench/fann_bench       train (batch 1), infer
  sklearn bench/sklearn_text.py       text

The text case trains the same network (words-64 ReLU-8 softmax, Adam at
0.01, batch 32, no validation) on the same synthetic documents with two
vocabularies, the 5,000 and the 50,000 most frequent terms (tf-idf,
sublinear): nnc's seconds per epoch at each, their ratio, and
scikit-learn's MLPClassifier on the same features. The corpus is written
once per run, before anything is timed, by `nnc_bench --case text-corpus`
into a temporary folder that every program reads and that is removed at the
end. scikit-learn's 50,000-term run takes half a minute, so it runs in the
first TEXT_SKLEARN_REPS repetitions only, under one and two threads, the
better counting; nnc runs in every repetition.

Each repetition runs every (case, configuration, implementation) once; within
a configuration the implementations take turns going first from one
repetition to the next, so no program always meets a cold or a warm machine.
The report gives, per configuration, each implementation's median and
[min, max] over the repetitions, and the ratio of medians written so that > 1
always means nnc is faster. `--tiny` is the CI configuration: a few hundred
samples, one repetition, one thread, batches 1 and 32; programs that are not
there are skipped with a note (in the full run a missing program is an error).
A benchmark is never a test: nothing here judges the numbers.

`--nnc-base PATH` compares two builds of nnc instead (bench/compare, `make
bench-compare`): PATH, another nnc_bench, runs as the implementation
"nnc-base" beside "nnc" on every nnc configuration, taking turns with it in
each repetition, and the alternatives are left out. The report then gives
per configuration both medians and [min, max] and says where nnc is slower
than nnc-base by more than the run's spread: its median worse than
nnc-base's by more than the wider of the two [min, max] ranges. The exit
status is then 3 when any configuration is.

The JSON protocol: {"impl": ..., "case": ..., "batch": B, "threads": N,
"metric": NAME, "value": NUMBER, "unit": UNIT, ...extra keys}.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

PYTHON = "/usr/bin/python3"
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
TIMEOUT_S = 900

# 784-128-10: weights and biases. A training step costs about 4 FLOPs per
# parameter and sample (forward 2, weight gradients 2; no input gradient for
# the first layer), the rule of thumb, used where nnc reports none.
PARAMS = 784 * 128 + 128 + 128 * 10 + 10
TRAIN_FLOPS_PER_SAMPLE = 4 * PARAMS

# The CNN (conv 1->32 3x3, maxpool 2, conv 32->64 3x3, maxpool 2, dense
# 3136->128, dense 128->10): 2 m n k for each matrix product of a training
# step, per image (nnc_bench's cnn_flops_per_sample, about 25.0 million).
CNN_FLOPS_PER_SAMPLE = (2 * (2 * 32 * 784 * 9)
                        + 3 * (2 * 64 * 196 * 288 + 2 * 3136 * 128 + 2 * 128 * 10))
FLOPS_PER_SAMPLE = {"train": TRAIN_FLOPS_PER_SAMPLE, "cnn-train": CNN_FLOPS_PER_SAMPLE}
SGEMM_CASE = {"train": "sgemm", "cnn-train": "cnn-sgemm"}

# metric -> (unit, True when larger is better)
METRICS = {
    "ns_per_iter": ("ns/iteration", False),
    "samples_per_s": ("samples/s", True),
    "us_per_pred": ("µs/prediction", False),
    "gflops": ("GFLOP/s", True),
    "test_accuracy": ("test accuracy", True),
    "gather_share": ("share of the loop", False),
    "s_per_epoch": ("s/epoch", False),
}
TUTORIAL_RUNS = 9

# The text case (nnc_bench --case text, bench/sklearn_text.py): documents,
# epochs and vocabularies of the full run and of --tiny, and how many
# repetitions scikit-learn takes part in (its 50,000-term fit is ~35 s).
TEXT_DOCUMENTS, TEXT_EPOCHS, TEXT_VOCABS = 20000, 3, (5000, 50000)
TINY_TEXT_DOCUMENTS, TINY_TEXT_EPOCHS, TINY_TEXT_VOCABS = 300, 1, (500, 50000)
TEXT_SKLEARN_REPS = 1
TEXT_BAR = 1.5   # nnc's 50,000-term epoch within this factor of its 5,000-term one

CASE_METRIC = {"tutorial": "ns_per_iter", "train": "samples_per_s",
               "infer": "us_per_pred", "sgemm": "gflops", "accuracy": "test_accuracy",
               "cnn-train": "samples_per_s", "cnn-infer": "us_per_pred",
               "cnn-sgemm": "gflops", "cnn-accuracy": "test_accuracy",
               "text": "s_per_epoch"}
OTHERS = ["numpy", "torch", "fann"]
THREAD_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS",
               "GOTO_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")


class BenchError(Exception):
    pass


def note(msg):
    print("run.py: " + msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ runs

class Run:
    """One program invocation: an implementation (with a variant label when
    the same implementation runs under several environments) on one config."""

    def __init__(self, impl, label, argv, env, max_reps=None):
        self.impl, self.label, self.argv, self.env = impl, label, argv, env
        self.max_reps = max_reps   # runs only in the first max_reps repetitions (None: all)

    def display(self):
        env = " ".join("%s=%s" % kv for kv in sorted(self.env.items()))
        argv = [os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT + os.sep)
                else a for a in self.argv]
        return (env + " " if env else "") + " ".join(shlex.quote(a) for a in argv)


class Job:
    """A (case, batch, threads, samples) configuration and the runs on it."""

    def __init__(self, case, batch, threads, samples, once=False, inner_runs=None,
                 vocab=None, epochs=None, corpus=None):
        self.case, self.batch, self.threads, self.samples = case, batch, threads, samples
        self.once = once
        self.inner_runs = inner_runs   # --runs: timings within one process
        self.vocab, self.epochs, self.corpus = vocab, epochs, corpus   # the text case's
        self.runs = []
        self.values = {}   # label -> metric -> [values]
        self.records = []  # every JSON record, for the raw file

    def key(self):
        return (self.case, self.batch, self.threads, self.vocab)

    def name(self):
        """The case, with the text case's vocabulary: "text 50,000"."""
        return self.case if self.vocab is None else "%s %s" % (self.case, fmt(self.vocab))

    def title(self):
        return "%s b%d t%d" % (self.name(), self.batch, self.threads)


def clean_env(extra):
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env.update(extra)
    return env


def execute(job, run):
    """Runs one program, checks its JSON lines, returns them."""
    try:
        p = subprocess.run(run.argv, cwd=ROOT, env=clean_env(run.env), capture_output=True,
                           text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BenchError("%s: no answer after %d s" % (run.display(), TIMEOUT_S))
    except OSError as e:
        raise BenchError("%s: %s" % (run.display(), e))
    if p.returncode != 0:
        raise BenchError("%s: exit status %d\n%s" % (run.display(), p.returncode,
                                                     p.stderr.strip()[-2000:]))
    records = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise BenchError("%s: not a JSON line: %r" % (run.display(), line[:200]))
        if not isinstance(rec, dict) or "metric" not in rec or "value" not in rec:
            raise BenchError("%s: a JSON line without metric and value: %r"
                             % (run.display(), line[:200]))
        if rec.get("impl") != run.impl or rec.get("case") != job.case:
            raise BenchError("%s: says impl %r case %r, expected %r %r" % (
                run.display(), rec.get("impl"), rec.get("case"), run.impl, job.case))
        v = rec["value"]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise BenchError("%s: metric %s has value %r" % (run.display(), rec["metric"], v))
        records.append(rec)
    want = CASE_METRIC[job.case]
    if not any(r["metric"] == want for r in records):
        raise BenchError("%s: no %r line in its output" % (run.display(), want))
    return records


def record(job, run, records, rep):
    for rec in records:
        job.values.setdefault(run.label, {}).setdefault(rec["metric"], []).append(rec["value"])
        job.records.append(dict(rec, label=run.label, rep=rep, command=run.display()))


def run_job(job, rep, order):
    for run in order:
        t0 = time.monotonic()
        records = execute(job, run)
        record(job, run, records, rep)
        main = [r for r in records if r["metric"] == CASE_METRIC[job.case]][0]
        note("[rep %s] %-22s %-16s %s %s (%.1f s)" % (
            rep, job.title(), run.label, fmt(main["value"]),
            METRICS.get(main["metric"], ("",))[0], time.monotonic() - t0))


# ------------------------------------------------------------------ the plan

class Programs:
    def __init__(self, args):
        self.nnc = os.path.abspath(args.nnc)
        self.base = os.path.abspath(args.nnc_base) if args.nnc_base else None
        self.fann = os.path.abspath(args.fann)
        self.numpy_py = os.path.join(BENCH_DIR, "numpy_tutorial.py")
        self.torch_py = os.path.join(BENCH_DIR, "torch_bench.py")
        self.sklearn_py = os.path.join(BENCH_DIR, "sklearn_text.py")
        self.missing = {}  # impl -> why
        self.base_text = True   # whether nnc-base has the text case

    def check(self):
        def executable(path):
            return os.path.isfile(path) and os.access(path, os.X_OK)

        if not executable(self.nnc):
            self.missing["nnc"] = "%s not built (make build)" % self.nnc
        if self.base is not None:
            if not executable(self.base):
                self.missing["nnc-base"] = "%s not built" % self.base
            else:
                # An older build may not know the text case: its usage says.
                p = subprocess.run([self.base], capture_output=True, text=True,
                                   env=clean_env({}))
                self.base_text = "|text" in p.stderr
            return   # a comparison of two builds runs nothing else
        if not executable(self.fann):
            self.missing["fann"] = "%s not built (needs libfann-dev: sh bench/setup, make build)" \
                % self.fann
        for impl, module, script in (("numpy", "numpy", self.numpy_py),
                                     ("torch", "torch", self.torch_py),
                                     ("sklearn", "sklearn", self.sklearn_py)):
            if not os.path.isfile(script):
                self.missing[impl] = "%s is missing" % script
            elif not executable(PYTHON):
                self.missing[impl] = "%s is missing" % PYTHON
            elif subprocess.run([PYTHON, "-c", "import " + module], capture_output=True,
                                env=clean_env({})).returncode != 0:
                self.missing[impl] = "%s cannot import %s (sh bench/setup)" % (PYTHON, module)

    def has(self, impl):
        if self.base is not None and impl != "nnc":
            return False
        return impl not in self.missing


def thread_env(threads):
    return {"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}


def torch_variants(threads):
    """(label, env) for PyTorch at `threads`. On a small machine PyTorch's
    OpenMP threads spin after each parallel region while OpenBLAS's own threads
    (Debian's torch calls OpenBLAS for its products) want the same cores, so at
    more than one thread it runs under three settings and the best one counts."""
    if threads == 1:
        return [("torch", thread_env(1))]
    n = str(threads)
    return [("torch", {"OMP_NUM_THREADS": n}),
            ("torch:passive", {"OMP_NUM_THREADS": n, "OMP_WAIT_POLICY": "PASSIVE"}),
            ("torch:blas1", {"OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": "1"})]


def common_args(job):
    args = ["--case", job.case, "--threads", str(job.threads), "--batch", str(job.batch)]
    if job.samples is not None:
        args += ["--samples", str(job.samples)]
    if job.inner_runs is not None:
        args += ["--runs", str(job.inner_runs)]
    if job.vocab is not None:
        args += ["--vocab", str(job.vocab), "--epochs", str(job.epochs),
                 "--corpus", job.corpus]
    return args


def add_runs(job, progs, impls, tiny=False):
    for impl in impls:
        if not progs.has(impl):
            continue
        a = common_args(job)
        if impl == "nnc":
            job.runs.append(Run("nnc", "nnc", [progs.nnc] + a, thread_env(job.threads)))
            if progs.base is not None and (job.case != "text" or progs.base_text):
                job.runs.append(Run("nnc", "nnc-base", [progs.base] + a,
                                    thread_env(job.threads)))
        elif impl == "fann":
            job.runs.append(Run("fann", "fann", [progs.fann] + a, thread_env(job.threads)))
        elif impl == "numpy":
            job.runs.append(Run("numpy", "numpy", [PYTHON, progs.numpy_py] + a,
                                thread_env(job.threads)))
        elif impl == "torch":
            for label, env in torch_variants(job.threads):
                job.runs.append(Run("torch", label, [PYTHON, progs.torch_py] + a, env))
        elif impl == "sklearn":
            # Its dense Adam steps and L2 sums over every weight call BLAS (a
            # threaded dot) beside one-threaded NumPy and scipy.sparse work:
            # on more cores it also runs with two BLAS threads, and the
            # better counts (sklearn_best).
            variants = [("sklearn", thread_env(job.threads))]
            if job.threads == 1 and (os.cpu_count() or 1) > 1 and not tiny:
                variants.append(("sklearn:2threads", thread_env(2)))
            for label, env in variants:
                job.runs.append(Run("sklearn", label, [PYTHON, progs.sklearn_py] + a, env,
                                    max_reps=None if tiny else TEXT_SKLEARN_REPS))


def make_plan(tiny, progs, corpus):
    """The configurations; the text case's read the corpus in folder corpus
    (written by write_corpus before anything runs)."""
    jobs = []

    def job(case, batch, threads, samples, impls, once=False, inner_runs=None, vocab=None,
            epochs=None):
        j = Job(case, batch, threads, samples, once, inner_runs, vocab, epochs,
                corpus if vocab is not None else None)
        add_runs(j, progs, impls, tiny)
        if j.runs:
            jobs.append(j)

    def text_jobs():
        docs, epochs, vocabs = ((TINY_TEXT_DOCUMENTS, TINY_TEXT_EPOCHS, TINY_TEXT_VOCABS) if tiny
                                else (TEXT_DOCUMENTS, TEXT_EPOCHS, TEXT_VOCABS))
        for vocab in vocabs:
            job("text", 32, 1, docs, ["nnc", "sklearn"], vocab=vocab, epochs=epochs)

    if tiny:
        n = 200
        job("tutorial", 1, 1, n, ["nnc", "numpy"])
        job("train", 1, 1, n, ["nnc", "torch", "fann"])
        job("train", 32, 1, n, ["nnc", "torch"])
        job("infer", 1, 1, n, ["nnc", "torch", "fann"])
        job("sgemm", 32, 1, None, ["nnc"])
        job("cnn-train", 64, 1, n, ["nnc", "torch"])
        job("cnn-infer", 1, 1, n, ["nnc", "torch"])
        job("cnn-sgemm", 64, 1, None, ["nnc"])
        job("accuracy", 32, 1, n, ["nnc", "torch"], once=True)
        job("cnn-accuracy", 64, 1, n, ["nnc", "torch"], once=True)
        text_jobs()
        return jobs

    # The tutorial's whole training takes nnc a third of a millisecond, which
    # one interruption can double: each process times it TUTORIAL_RUNS times
    # and reports the median (NumPy the same way).
    job("tutorial", 1, 1, 10000, ["nnc", "numpy"], inner_runs=TUTORIAL_RUNS)
    for threads in (1, 2):
        job("train", 1, threads, 10000, ["nnc", "torch"] + (["fann"] if threads == 1 else []))
        for batch in (32, 256):
            job("train", batch, threads, 60000, ["nnc", "torch"])
    job("infer", 1, 1, 10000, ["nnc", "torch", "fann"])
    for threads in (1, 2):
        for batch in (32, 256):
            job("sgemm", batch, threads, None, ["nnc"])
    # The CNN: training over the first 10,000 images (about 4 s for either
    # program), 2,000 single-image predictions, and one whole epoch for the
    # accuracy.
    for threads in (1, 2):
        job("cnn-train", 64, threads, 10000, ["nnc", "torch"])
        job("cnn-sgemm", 64, threads, None, ["nnc"])
    job("cnn-infer", 1, 1, 2000, ["nnc", "torch"])
    job("accuracy", 32, 1, None, ["nnc", "torch"], once=True)
    job("cnn-accuracy", 64, 1, None, ["nnc", "torch"], once=True)
    # The text case: the same documents at 5,000 and 50,000 terms, nnc and
    # scikit-learn's MLPClassifier (about 1.5 minutes in all).
    text_jobs()
    return jobs


def corpus_command(progs, jobs):
    """The command that writes the text case's corpus (None without one)."""
    text = [j for j in jobs if j.case == "text"]
    if not text:
        return None
    return [progs.nnc, "--case", "text-corpus", "--corpus", text[0].corpus,
            "--samples", str(text[0].samples)]


def write_corpus(argv):
    """Writes the text case's corpus (nnc_bench --case text-corpus)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=ROOT, env=clean_env({}), capture_output=True, text=True,
                           timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError("%s: %s" % (" ".join(argv), e))
    if p.returncode != 0:
        raise BenchError("%s: exit status %d\n%s" % (" ".join(argv), p.returncode,
                                                     p.stderr.strip()[-2000:]))
    note("the text corpus: %s (%.1f s)" % (argv[4], time.monotonic() - t0))


# ------------------------------------------------------------------ the machine

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cpu_info():
    text = read("/proc/cpuinfo") or ""
    model, flags, logical = None, set(), 0
    for line in text.splitlines():
        k, _, v = line.partition(":")
        k, v = k.strip(), v.strip()
        if k == "processor":
            logical += 1
        elif k == "model name" and model is None:
            model = v
        elif k == "flags" and not flags:
            flags = set(v.split())
    isa = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f") if f in flags]
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    quota = (read("/sys/fs/cgroup/cpu.max") or "").strip()
    return {"model": model or platform.processor() or "unknown", "logical": logical or os.cpu_count(),
            "usable": usable, "isa": isa, "cgroup_cpu_max": quota or None}


PROBE = r"""
import json, os, ctypes
out = {}
try:
    import numpy
    out["numpy"] = numpy.__version__
except Exception as e:
    out["numpy"] = "unavailable (%s)" % e
try:
    import torch
    out["torch"] = torch.__version__
    out["torch_default_threads"] = torch.get_num_threads()
    out["torch_interop_threads"] = torch.get_num_interop_threads()
    info = torch.__config__.parallel_info()
    out["torch_parallel"] = [l.strip() for l in info.splitlines()
                             if "backend" in l or "OpenMP" in l and "a.k.a" in l]
    import re
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    out["torch_blas"] = m.group(1) if m else None
except Exception as e:
    out["torch"] = "unavailable (%s)" % e
try:
    import sklearn, scipy
    out["sklearn"] = "%s (scipy %s)" % (sklearn.__version__, scipy.__version__)
except Exception as e:
    out["sklearn"] = "unavailable (%s)" % e
try:
    lib = ctypes.CDLL("libopenblas.so.0")
    lib.openblas_get_config.restype = ctypes.c_char_p
    lib.openblas_get_corename.restype = ctypes.c_char_p
    out["openblas"] = "%s; core %s; %d threads by default" % (
        lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
        lib.openblas_get_num_threads())
except Exception as e:
    out["openblas"] = None
print(json.dumps(out))
"""


def software_info():
    info = {}
    try:
        p = subprocess.run([PYTHON, "-c", PROBE], capture_output=True, text=True, timeout=120,
                           env=clean_env({}))
        if p.returncode == 0:
            info = json.loads(p.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        pass
    for pkg in ("libfann-dev", "libopenblas0-pthread", "python3-torch", "python3-sklearn"):
        try:
            p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                               capture_output=True, text=True)
            info["deb:" + pkg] = p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None
        except OSError:
            info["deb:" + pkg] = None
    return info


def openblas_from_nnc(jobs):
    """What nnc_bench says about OpenBLAS (openblas_get_config), if anything."""
    for job in jobs:
        for rec in job.records:
            if rec.get("impl") != "nnc":
                continue
            for k in ("openblas", "openblas_config", "blas"):
                if isinstance(rec.get(k), str):
                    return rec[k]
            n = rec.get("note")
            if isinstance(n, str) and "openblas" in n.lower():
                return n
    return None


# ------------------------------------------------------------------ the report

def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def summary(values):
    """median, min, max of a list (None for an empty one)."""
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def cell(s, pct=False):
    if s is None:
        return "—"
    if pct:
        return "%.2f %%" % (100 * s[0]) if s[1] == s[2] else "%.2f %% [%.2f, %.2f]" % tuple(
            100 * x for x in s)
    if s[1] == s[2]:
        return fmt(s[0])
    return "%s [%s, %s]" % (fmt(s[0]), fmt(s[1]), fmt(s[2]))


def ratio(metric, nnc, other):
    """> 1 means nnc is faster: nnc / other for rates, other / nnc for times."""
    if nnc is None or other is None or nnc[0] == 0 or other[0] == 0:
        return None
    return nnc[0] / other[0] if METRICS[metric][1] else other[0] / nnc[0]


def torch_candidates(job, jobs, metric):
    """label -> summary of every PyTorch setting that counts for this job: at
    N > 1 threads its N-thread settings and, from the 1-thread job of the same
    case and batch, "one thread everywhere" (label "torch:1thread")."""
    out = {}
    for label, per in job.values.items():
        if label.startswith("torch"):
            s = summary(per.get(metric, []))
            if s is not None:
                out[label] = s
    if job.threads > 1:
        one = next((j for j in jobs if j.case == job.case and j.batch == job.batch
                    and j.threads == 1), None)
        s = summary(one.values.get("torch", {}).get(metric, [])) if one else None
        if s is not None:
            out["torch:1thread"] = s
    return out


def best_torch(job, metric, jobs=()):
    """(label, summary) of the best PyTorch setting on this job, or (None, None)."""
    best = (None, None)
    higher = METRICS[metric][1]
    for label, s in torch_candidates(job, jobs, metric).items():
        if best[1] is None or (s[0] > best[1][0] if higher else s[0] < best[1][0]):
            best = (label, s)
    return best


TORCH_SETTING = {
    "torch": "OMP_NUM_THREADS=N (OpenMP's default wait: spinning)",
    "torch:passive": "OMP_NUM_THREADS=N OMP_WAIT_POLICY=PASSIVE",
    "torch:blas1": "OMP_NUM_THREADS=N OPENBLAS_NUM_THREADS=1",
    "torch:1thread": "one thread everywhere (the 1-thread run)",
}


def torch_setting(label, threads):
    if label is None:
        return "—"
    if threads == 1:
        return "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"
    return TORCH_SETTING[label].replace("=N", "=%d" % threads)


def report(args, jobs, progs, cpu, sw, reps, started, elapsed):
    L = []
    w = L.append
    mode = "tiny (CI: a configuration that only proves the programs run)" if args.tiny else "full"
    w("# nnc benchmark")
    w("")
    w("Generated by `bench/run.py` (`make bench`) on %s, %s run, %d repetition%s, "
      "%.0f s in all." % (started.strftime("%Y-%m-%d %H:%M %Z").strip(), mode, reps,
                          "" if reps == 1 else "s", elapsed))
    w("")
    w("## Machine and settings")
    w("")
    w("| | |")
    w("|---|---|")
    w("| CPU | %s (%s) |" % (cpu["model"], ", ".join(cpu["isa"]) or "no ISA flags read"))
    w("| cores | %d logical, %d usable by this process%s |" % (
        cpu["logical"], cpu["usable"],
        "; cgroup cpu.max %s" % cpu["cgroup_cpu_max"] if cpu["cgroup_cpu_max"] else ""))
    w("| OS | %s %s, %s |" % (platform.system(), platform.release(), platform.machine()))
    ob_nnc = openblas_from_nnc(jobs)
    w("| OpenBLAS | %s |" % (ob_nnc and "nnc_bench: %s" % ob_nnc or sw.get("openblas")
                             or "unknown"))
    w("| OpenBLAS package | %s |" % (sw.get("deb:libopenblas0-pthread") or "unknown"))
    w("| thread settings | each program gets OMP_NUM_THREADS=N and OPENBLAS_NUM_THREADS=N "
      "for N threads (nnc_bench also calls openblas_set_num_threads(N)); PyTorch gets "
      "torch.set_num_threads(N) and, for N > 1, runs under three settings (below); "
      "the best of those and of its 1-thread run counts |")
    w("| PyTorch | %s (Debian %s); %s; default %s intra-op / %s inter-op threads; BLAS %s |" % (
        sw.get("torch", "unknown"), sw.get("deb:python3-torch") or "?",
        "; ".join(sw.get("torch_parallel") or []) or "?",
        sw.get("torch_default_threads", "?"), sw.get("torch_interop_threads", "?"),
        (sw.get("torch_blas") or "?") + " (Debian's build calls libblas = OpenBLAS)"))
    w("| NumPy | %s |" % sw.get("numpy", "unknown"))
    w("| FANN | %s (libfann-dev, floatfann) |" % (sw.get("deb:libfann-dev") or "unknown"))
    w("| scikit-learn | %s |" % sw.get("sklearn", "unknown"))
    w("| Python | %s |" % PYTHON)
    w("")
    if progs.missing:
        w("Skipped: " + "; ".join("**%s** — %s" % kv for kv in sorted(progs.missing.items())))
        w("")

    # ---- the main table
    w("## Results")
    w("")
    w("Median over the repetitions, [min, max] beside it. **The ratio columns are "
      "nnc against the other on medians, written so that > 1 always means nnc is "
      "faster**: nnc / other for rates (samples/s), other / nnc for times "
      "(ns per iteration, µs per prediction). PyTorch's column is its best setting "
      "on the machine, named in the last column: at 2 threads the best of its three "
      "2-thread settings and of one thread everywhere (its 1-thread run).")
    w("")
    w("| case | batch | threads | samples | unit | nnc | numpy | torch | fann | "
      "× numpy | × torch | × fann | torch setting |")
    w("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for job in jobs:
        if job.case not in ("tutorial", "train", "infer", "cnn-train", "cnn-infer"):
            continue
        metric = CASE_METRIC[job.case]
        nnc = summary(job.values.get("nnc", {}).get(metric, []))
        others = {
            "numpy": summary(job.values.get("numpy", {}).get(metric, [])),
            "fann": summary(job.values.get("fann", {}).get(metric, [])),
        }
        tlabel, others["torch"] = best_torch(job, metric, jobs)
        row = [job.case, str(job.batch), str(job.threads),
               fmt(job.samples) if job.samples else "default", METRICS[metric][0], cell(nnc)]
        row += [cell(others[o]) for o in OTHERS]
        for o in OTHERS:
            r = ratio(metric, nnc, others[o])
            row.append("—" if r is None else "%.2f" % r)
        row.append(torch_setting(tlabel, job.threads))
        w("| " + " | ".join(row) + " |")
    w("")
    if not args.tiny:
        w("Training at batch 1 runs over the first 10,000 training images (PyTorch "
          "needs over a second for them, FANN about one) to keep the whole run within "
          "ten minutes; batches 32 and 256 over all 60,000. `infer` is 10,000 "
          "single-image predictions; `tutorial` is "
          "the tutorial's 10,000 iterations, cumulative errors included, each process "
          "timing %d such trainings and reporting their median. `cnn-train` is issue "
          "11's CNN (conv 1→32 3x3 pad 1, ReLU, maxpool 2, conv 32→64 3x3 pad 1, ReLU, "
          "maxpool 2, dense 3136→128 ReLU, dense 128→10, softmax cross-entropy, SGD "
          "with momentum 0.9 at 0.01) over the first 10,000 training images at batch "
          "64; `cnn-infer` is 2,000 single-image predictions through it." % TUTORIAL_RUNS)
        w("")

    # ---- PyTorch's thread settings
    multi = [j for j in jobs if j.case in ("train", "cnn-train") and j.threads > 1
             and sum(1 for lbl in j.values if lbl.startswith("torch")) > 1]
    if multi:
        w("### PyTorch's thread settings")
        w("")
        w("Debian's PyTorch runs its own kernels on OpenMP threads and its matrix "
          "products in OpenBLAS, whose threads are separate: with both at N threads on "
          "N cores, OpenMP's spin-waiting threads and OpenBLAS's compete. Each setting, "
          "samples/s, median [min, max]:")
        w("")
        labels = ["torch", "torch:passive", "torch:blas1"]
        w("| case | batch | threads | " + " | ".join(
            TORCH_SETTING[lbl].replace("=N", "=2") for lbl in labels) + " | best | 1 thread |")
        w("|---|---:|---:|" + "---:|" * len(labels) + "---|---:|")
        for job in multi:
            metric = CASE_METRIC[job.case]
            best, _ = best_torch(job, metric, jobs)
            one = next((j for j in jobs if j.case == job.case and j.batch == job.batch
                        and j.threads == 1), None)
            one_s = summary(one.values.get("torch", {}).get(metric, [])) if one else None
            w("| %s | %d | %d | %s | %s | %s |" % (
                job.case, job.batch, job.threads,
                " | ".join(cell(summary(job.values.get(lbl, {}).get(metric, [])))
                           for lbl in labels),
                torch_setting(best, job.threads), cell(one_s)))
        w("")

    # ---- efficiency against sgemm
    eff = []
    for job in jobs:
        if job.case not in SGEMM_CASE or job.batch == 1:
            continue
        sg = next((j for j in jobs if j.case == SGEMM_CASE[job.case] and j.batch == job.batch
                   and j.threads == job.threads), None)
        nv = job.values.get("nnc", {})
        achieved = summary(nv.get("gflops", []))
        source = "nnc_bench"
        flops = FLOPS_PER_SAMPLE[job.case]
        if achieved is None and nv.get("samples_per_s"):
            achieved = summary([v * flops / 1e9 for v in nv["samples_per_s"]])
            source = "FLOPs per sample × samples/s"
        tlabel, ts = best_torch(job, "samples_per_s", jobs)
        torch_g = None if ts is None else tuple(x * flops / 1e9 for x in ts)
        gather = summary(nv.get("gather_share", []))
        peak = summary(sg.values.get("nnc", {}).get("gflops", [])) if sg else None
        if achieved is None and peak is None:
            continue
        e = None if achieved is None or peak is None or peak[0] == 0 else achieved[0] / peak[0]
        eff.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s |" % (
            job.case, job.batch, job.threads, cell(achieved), source, cell(peak),
            "—" if e is None else "%.0f %%" % (100 * e),
            "—" if gather is None else "%.1f %%" % (100 * gather[0]), cell(torch_g)))
    if eff:
        w("### Efficiency: nnc's training against cblas_sgemm")
        w("")
        w("Achieved GFLOP/s of nnc's training loop (as nnc_bench reports it) against "
          "OpenBLAS cblas_sgemm on the training's own matrix products at the same batch "
          "and threads, back to back, measured in the same run (`sgemm`, `cnn-sgemm`). "
          "The MLP's step costs about 4 FLOPs per parameter and sample (4 × %s); the "
          "CNN's is counted product by product, 2 m n k each, %s FLOPs per image, with "
          "the convolutions' products per image as conv.c makes them (32 × 784 × 9 and "
          "64 × 196 × 288 forward, and their gradients). nnc's loop is an epoch of "
          "`nnc_fit`, which gathers the next batch (the shuffled rows' bytes into "
          "floats) on a second thread while the current one trains; \"gather\" is "
          "what those gathers cost done alone, as a share of the loop's time. "
          "PyTorch's figure is its samples/s times the same FLOP count."
          % (fmt(PARAMS), fmt(CNN_FLOPS_PER_SAMPLE)))
        w("")
        w("| case | batch | threads | nnc train GFLOP/s | from | sgemm GFLOP/s | efficiency "
          "(median / median) | gather | torch GFLOP/s (best setting) |")
        w("|---|---:|---:|---:|---|---:|---:|---:|---:|")
        L.extend(eff)
        w("")

    # ---- accuracy
    acc = [j for j in jobs if j.case in ("accuracy", "cnn-accuracy")]
    for job in acc:
        nnc = summary(job.values.get("nnc", {}).get("test_accuracy", []))
        tl, ts = best_torch(job, "test_accuracy")
        w("### Accuracy after one epoch (%s)" % job.case)
        w("")
        w("%s: one epoch over %s training images at batch %d, %s, softmax "
          "cross-entropy; accuracy on the 10,000 test images; run once." % (
              "The CNN" if job.case == "cnn-accuracy" else "784-128-10 with ReLU",
              fmt(job.samples) if job.samples else "all 60,000", job.batch,
              "SGD with momentum 0.9 at learning rate 0.01" if job.case == "cnn-accuracy"
              else "plain SGD at learning rate 0.01"))
        w("")
        w("| nnc | torch | nnc − torch |")
        w("|---:|---:|---:|")
        diff = "—" if nnc is None or ts is None else "%+.2f points%s" % (
            100 * (nnc[0] - ts[0]),
            "" if args.tiny else (" (within ±1)" if abs(nnc[0] - ts[0]) <= 0.01
                                  else " (**outside ±1**)"))
        w("| %s | %s | %s |" % (cell(nnc, pct=True), cell(ts, pct=True), diff))
        w("")

    # ---- text
    text = [j for j in jobs if j.case == "text"]
    if text:
        text_report(w, args, text)

    # ---- commands
    w("## Commands")
    w("")
    w("From the repository root; the environment shown is the whole of the thread "
      "settings each program saw (others of that kind are removed). Order within a "
      "configuration rotates from one repetition to the next.")
    w("")
    w("```sh")
    seen = set()
    if getattr(args, "corpus_command", None):
        w(display_argv(args.corpus_command) + "   # the text case's corpus, first")
    for job in jobs:
        for run in job.runs:
            d = run.display()
            if d not in seen:
                seen.add(d)
                w(d)
    w("```")
    w("")
    return "\n".join(L)


def display_argv(argv):
    return " ".join(shlex.quote(os.path.relpath(a, ROOT) if os.path.isabs(a) and
                                a.startswith(ROOT + os.sep) else a) for a in argv)


def sklearn_best(job, metric="s_per_epoch"):
    """(label, summary) of scikit-learn's fastest thread setting on a text job."""
    best = (None, None)
    for label, per in job.values.items():
        if label.startswith("sklearn"):
            s = summary(per.get(metric, []))
            if s is not None and (best[1] is None or s[0] < best[1][0]):
                best = (label, s)
    return best


SKLEARN_SETTING = {"sklearn": "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1",
                   "sklearn:2threads": "OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2"}


def text_report(w, args, jobs):
    """The text case: nnc at each vocabulary, its growth from the smallest
    to the largest, and scikit-learn's MLPClassifier beside it."""
    first = jobs[0]
    w("### Text: the vocabulary's size, and scikit-learn's MLPClassifier")
    w("")
    w("The same %s synthetic documents (15-30 words each of 80,000 made-up ones drawn "
      "by Zipf's law, 8 classes each preferring its own words; `nnc_bench --case "
      "text-corpus`, seeded) as tf-idf (1 + ln tf, idf, unit rows; words as they are) "
      "over the most frequent N terms, then words→64 ReLU→8 softmax, Adam at 0.01, "
      "batch %d, shuffled, no validation, %d epoch%s; test accuracy on %s more documents "
      "from the same source. nnc: `nnc_text_columns_fit`/`_apply` (sparse rows), "
      "`nnc_fit`, one thread. scikit-learn: TfidfVectorizer(sublinear_tf=True, "
      "max_features=N, float32) + MLPClassifier(hidden_layer_sizes=(64,), "
      "batch_size=%d, learning_rate_init=0.01, alpha=0, tol=0), sparse input as it "
      "is; its best of one and two threads counts%s. Seconds per epoch are the fit's "
      "time over its epochs (vectorising apart, setup included). Median [min, max] "
      "over the repetitions; \"× sklearn\" > 1 means nnc is faster."
      % ("{:,}".format(first.samples), first.batch, first.epochs, "" if first.epochs == 1 else "s",
         "{:,}".format(max(1, first.samples // 4)), first.batch,
         "" if args.tiny else (" (scikit-learn runs in the first repetition only, its "
                               "50,000-term fit taking half a minute)"
                               if TEXT_SKLEARN_REPS == 1 else
                               " (scikit-learn runs in the first %d repetitions only)"
                               % TEXT_SKLEARN_REPS)))
    w("")
    w("| max terms | terms | non-zeros per row | nnc s/epoch | sklearn s/epoch | × sklearn "
      "| nnc test acc. | sklearn test acc. | sklearn setting |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    rows = []
    for job in jobs:
        nv = job.values.get("nnc", {})
        nnc = summary(nv.get("s_per_epoch", []))
        label, sk = sklearn_best(job)
        sv = job.values.get(label, {}) if label else {}
        terms = summary(nv.get("terms", []) or sv.get("terms", []))
        nnz = summary(nv.get("nnz_per_row", []) or sv.get("nnz_per_row", []))
        cols = summary(nv.get("columns_per_batch", []))
        r = ratio("s_per_epoch", nnc, sk)
        rows.append((job, nnc, sk, nnz, cols))
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            fmt(job.vocab), "—" if terms is None else fmt(terms[0]),
            "—" if nnz is None else "%.1f" % nnz[0], cell(nnc), cell(sk),
            "—" if r is None else "%.2f" % r,
            cell(summary(nv.get("test_accuracy", [])), pct=True),
            cell(summary(sv.get("test_accuracy", [])), pct=True),
            SKLEARN_SETTING.get(label, "—")))
    w("")
    (j0, n0, s0, z0, c0), (j1, n1, s1, z1, c1) = rows[0], rows[-1]
    if len(rows) > 1 and n0 and n1:
        growth = n1[0] / n0[0]
        nnz_growth = z1[0] / z0[0] if z0 and z1 and z0[0] else None
        col_growth = c1[0] / c0[0] if c0 and c1 and c0[0] else None
        verdict = "" if args.tiny else (" — within %.1f×: **%s**" % (
            TEXT_BAR, "yes" if growth <= TEXT_BAR else "no"))
        w("nnc's epoch at %s terms against %s: **%.2f×**%s. Between the two the rows' "
          "non-zeros grow %s× (the forward and backward products' work)%s, and a batch's "
          "distinct terms %s× (%s to %s: the columns a lazy Adam step updates); a cost "
          "that followed those alone would grow as much." % (
              fmt(j1.vocab), fmt(j0.vocab), growth, verdict,
              "—" if nnz_growth is None else "%.2f" % nnz_growth,
              "" if nnz_growth is None else " (the time per non-zero grows %.2f×)" % (growth / nnz_growth),
              "—" if col_growth is None else "%.2f" % col_growth,
              "—" if c0 is None else "%.0f" % c0[0], "—" if c1 is None else "%.0f" % c1[0]))
        if s0 and s1:
            w("scikit-learn's: %.2f× (its gradients and Adam steps are dense over every "
              "weight)." % (s1[0] / s0[0]))
        w("")


def slower_beyond_spread(metric, new, base):
    """True when new's median is worse than base's by more than the wider of
    the two [min, max] ranges (None when either is missing)."""
    if new is None or base is None:
        return None
    spread = max(new[2] - new[1], base[2] - base[1])
    worse = base[0] - new[0] if METRICS[metric][1] else new[0] - base[0]
    return worse > spread


def compare_report(args, jobs, progs, cpu, reps, started, elapsed):
    """The report of --nnc-base: nnc against nnc-base, configuration by
    configuration; returns (text, the titles of the configurations where nnc
    is slower beyond the spread)."""
    L = []
    w = L.append
    w("# nnc against a base build")
    w("")
    w("Generated by `bench/run.py --nnc-base` (`make bench-compare`) on %s, %d repetition%s, "
      "%.0f s in all; the two builds take turns going first from one repetition to the "
      "next." % (started.strftime("%Y-%m-%d %H:%M %Z").strip(), reps,
                 "" if reps == 1 else "s", elapsed))
    w("")
    w("- nnc: `%s`" % progs.nnc)
    w("- nnc-base: `%s`" % progs.base)
    w("- CPU: %s (%s); %d logical cores, %d usable" % (
        cpu["model"], ", ".join(cpu["isa"]) or "no ISA flags read", cpu["logical"],
        cpu["usable"]))
    ob = openblas_from_nnc(jobs)
    if ob:
        w("- OpenBLAS: %s" % ob)
    w("")
    w("Median [min, max] over the repetitions. \"× base\" is written so that > 1 means "
      "nnc is faster. \"slower?\" is **yes** where nnc's median is worse than "
      "nnc-base's by more than the wider of the two [min, max] ranges; with one "
      "repetition there is no spread and it says —. The accuracy, run once, says "
      "whether the two builds agree.")
    w("")
    w("| case | batch | threads | unit | nnc-base | nnc | × base | slower? |")
    w("|---|---:|---:|---|---:|---:|---:|---|")
    slower = []
    for job in jobs:
        metric = CASE_METRIC[job.case]
        new = summary(job.values.get("nnc", {}).get(metric, []))
        base = summary(job.values.get("nnc-base", {}).get(metric, []))
        r = ratio(metric, new, base)
        verdict = slower_beyond_spread(metric, new, base) if reps > 1 else None
        if job.once and new is not None and base is not None:
            verdict_s = "same" if new[0] == base[0] else "differs"
        else:
            verdict_s = "—" if verdict is None else ("**yes**" if verdict else "no")
        if verdict:
            slower.append(job.title())
        pct = metric == "test_accuracy"
        w("| %s | %d | %d | %s | %s | %s | %s | %s |" % (
            job.name(), job.batch, job.threads, METRICS[metric][0], cell(base, pct),
            cell(new, pct), "—" if r is None else "%.2f" % r, verdict_s))
    w("")
    w("Slower beyond the spread: %s." % (", ".join(slower) if slower else "none"))
    w("")
    w("## Commands")
    w("")
    w("```sh")
    seen = set()
    if getattr(args, "corpus_command", None):
        w(display_argv(args.corpus_command) + "   # the text case's corpus, first")
    for job in jobs:
        for run in job.runs:
            d = run.display()
            if d not in seen:
                seen.add(d)
                w(d)
    w("```")
    w("")
    return "\n".join(L), slower


# ------------------------------------------------------------------ main

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=None,
                   help="repetitions (default 5; 1 with --tiny)")
    p.add_argument("--tiny", action="store_true",
                   help="the CI configuration: few samples, 1 repetition, 1 thread, "
                        "missing programs skipped")
    p.add_argument("--out", default=None,
                   help="the markdown report (default bench/results.md, with --nnc-base "
                        "bench/compare.md); the raw JSON records go beside it with the "
                        "suffix .jsonl")
    p.add_argument("--nnc", default=os.path.join(ROOT, "build", "bench", "nnc_bench"))
    p.add_argument("--fann", default=os.path.join(ROOT, "build", "bench", "fann_bench"))
    p.add_argument("--cases", default=None,
                   help="comma-separated subset of tutorial,train,infer,sgemm,accuracy,"
                        "cnn-train,cnn-infer,cnn-sgemm,cnn-accuracy,text")
    p.add_argument("--nnc-base", default=None, metavar="PATH",
                   help="compare --nnc with this other nnc_bench build (implementation "
                        "nnc-base) and nothing else; exit status 3 when nnc is slower "
                        "beyond the spread anywhere")
    args = p.parse_args(argv)
    if args.out is None:
        args.out = os.path.join(BENCH_DIR, "compare.md" if args.nnc_base else "results.md")
    reps = args.reps if args.reps is not None else (1 if args.tiny else 5)
    if reps < 1:
        p.error("--reps must be at least 1")

    progs = Programs(args)
    progs.check()
    for impl, why in sorted(progs.missing.items()):
        if args.tiny:
            note("skipping %s: %s" % (impl, why))
        else:
            note("missing %s: %s" % (impl, why))
    if progs.missing and not args.tiny:
        note("the full run needs every implementation (sh bench/setup; make build)")
        return 1

    corpus = tempfile.mkdtemp(prefix="nnc-bench-text-")
    try:
        return run_all(args, progs, reps, corpus)
    finally:
        shutil.rmtree(corpus, ignore_errors=True)


def run_all(args, progs, reps, corpus):
    jobs = make_plan(args.tiny, progs, corpus)
    if args.cases:
        want = set(args.cases.split(","))
        unknown = want - set(CASE_METRIC)
        if unknown:
            note("unknown case(s): %s" % ", ".join(sorted(unknown)))
            return 2
        jobs = [j for j in jobs if j.case in want]
    if not jobs:
        note("nothing to run")
        return 1
    args.corpus_command = corpus_command(progs, jobs)

    started = datetime.datetime.now().astimezone()
    t0 = time.monotonic()
    cpu = cpu_info()
    sw = software_info() if progs.base is None else {}
    note("%s, %d usable cores; %d repetition(s) of %d configuration(s)" % (
        cpu["model"], cpu["usable"], reps, sum(1 for j in jobs if not j.once)))
    try:
        if args.corpus_command:
            write_corpus(args.corpus_command)
        for rep in range(reps):
            for job in jobs:
                if job.once:
                    continue
                k = rep % len(job.runs)
                order = [r for r in job.runs[k:] + job.runs[:k]
                         if r.max_reps is None or rep < r.max_reps]
                run_job(job, rep + 1, order)
        for job in jobs:
            if job.once:
                run_job(job, "once", job.runs)
    except BenchError as e:
        note("failed: %s" % e)
        return 1

    slower = []
    if progs.base is not None:
        text, slower = compare_report(args, jobs, progs, cpu, reps, started,
                                      time.monotonic() - t0)
    else:
        text = report(args, jobs, progs, cpu, sw, reps, started, time.monotonic() - t0)
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    raw = os.path.splitext(out)[0] + ".jsonl"
    for path, content in ((out, text), (raw, "".join(
            json.dumps(r) + "\n" for j in jobs for r in j.records))):
        tmp = path + ".tmp-%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write(content)
        os.replace(tmp, path)
    print(text)
    note("report: %s (raw records: %s)" % (os.path.relpath(out), os.path.relpath(raw)))
    if slower:
        note("nnc is slower than nnc-base beyond the spread in: " + ", ".join(slower))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
