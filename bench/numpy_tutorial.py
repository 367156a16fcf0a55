#!/usr/bin/python3
"""The tutorial's network in plain NumPy, timed: the baseline for `--case tutorial`.

A re-implementation of the tutorial's NeuralNetwork class, step for step: two
weights and a bias drawn from a standard normal, predict = sigmoid(dot + bias),
gradients by the chain rule, one random instance per iteration, and every 100
iterations the squared error summed over all eight instances. The whole
train() call is timed, cumulative errors included; with --runs N, N calls,
each on a fresh network from the same seed, and the median is reported.

    /usr/bin/python3 bench/numpy_tutorial.py --case tutorial [--samples 10000] [--runs 1]

prints one JSON line: {"impl": "numpy", "case": "tutorial", ..., "metric":
"ns_per_iter", ...}. Run it with Debian's /usr/bin/python3 (python3-numpy).
"""
import argparse
import json
import sys
import time

import numpy as np

INPUTS = np.array([[3, 1.5], [2, 1], [4, 1.5], [3, 4],
                   [3.5, 0.5], [2, 0.5], [5.5, 1], [1, 1]])
TARGETS = np.array([0, 1, 0, 1, 0, 1, 1, 0])
LEARNING_RATE = 0.1


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_deriv(x):
    return sigmoid(x) * (1 - sigmoid(x))


class TutorialNetwork:
    """The tutorial's two-layer network: one dot product, one sigmoid."""

    def __init__(self, learning_rate):
        self.weights = np.array([np.random.randn(), np.random.randn()])
        self.bias = np.random.randn()
        self.learning_rate = learning_rate

    def predict(self, input_vector):
        layer_1 = np.dot(input_vector, self.weights) + self.bias
        layer_2 = sigmoid(layer_1)
        return layer_2

    def _compute_gradients(self, input_vector, target):
        layer_1 = np.dot(input_vector, self.weights) + self.bias
        layer_2 = sigmoid(layer_1)
        prediction = layer_2

        derror_dprediction = 2 * (prediction - target)
        dprediction_dlayer1 = sigmoid_deriv(layer_1)
        dlayer1_dbias = 1
        dlayer1_dweights = (0 * self.weights) + (1 * input_vector)

        derror_dbias = derror_dprediction * dprediction_dlayer1 * dlayer1_dbias
        derror_dweights = derror_dprediction * dprediction_dlayer1 * dlayer1_dweights
        return derror_dbias, derror_dweights

    def _update_parameters(self, derror_dbias, derror_dweights):
        self.bias = self.bias - (derror_dbias * self.learning_rate)
        self.weights = self.weights - (derror_dweights * self.learning_rate)

    def train(self, input_vectors, targets, iterations):
        cumulative_errors = []
        for current_iteration in range(iterations):
            # stochastic gradient descent: one instance, drawn at random
            random_data_index = np.random.randint(len(input_vectors))
            input_vector = input_vectors[random_data_index]
            target = targets[random_data_index]

            derror_dbias, derror_dweights = self._compute_gradients(input_vector, target)
            self._update_parameters(derror_dbias, derror_dweights)

            # every 100 iterations: the squared error summed over all instances
            if current_iteration % 100 == 0:
                cumulative_error = 0
                for data_instance_index in range(len(input_vectors)):
                    data_point = input_vectors[data_instance_index]
                    target = targets[data_instance_index]
                    prediction = self.predict(data_point)
                    error = np.square(prediction - target)
                    cumulative_error = cumulative_error + error
                cumulative_errors.append(cumulative_error)
        return cumulative_errors


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--samples", type=int, default=10000,
                   help="training iterations (default 10000, the tutorial's)")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--runs", type=int, default=1,
                   help="timed trainings in this process; the median is reported")
    a = p.parse_args(argv)
    if a.case != "tutorial":
        p.error("only --case tutorial is implemented here")
    if a.samples < 1:
        p.error("--samples must be at least 1")
    if a.runs < 1:
        p.error("--runs must be at least 1")

    # Each run trains a fresh network from the same seed and is timed on its
    # own; the median is reported (as nnc_bench does).
    times = []
    for _ in range(a.runs):
        np.random.seed(a.seed)
        net = TutorialNetwork(LEARNING_RATE)
        t0 = time.perf_counter_ns()
        errors = net.train(INPUTS, TARGETS, a.samples)
        times.append(time.perf_counter_ns() - t0)
    elapsed = sorted(times)[len(times) // 2]

    print(json.dumps({
        "impl": "numpy", "case": "tutorial", "batch": 1, "threads": a.threads,
        "metric": "ns_per_iter", "value": elapsed / a.samples, "unit": "ns",
        "iterations": a.samples, "runs": a.runs, "errors_recorded": len(errors),
        "final_cumulative_error": float(errors[-1]),
        "note": "NumPy %s, float64, seed %d" % (np.__version__, a.seed),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
