#!/usr/bin/python3
"""Outside reference for src/law/binomial_fit.cpp: the law on the accuracy scale by maximum
likelihood, written independently with scipy.optimize (quasi-Newton BFGS on the analytic
gradient, then Newton's method on a finite-difference Hessian of that gradient), not with the
Fisher scoring the C++ code uses.

usage: binomial_law_mle.py DATA.csv START.json OUT.json
DATA.csv: regressor columns (the first named lnA is the intercept), then correct, trials,
chance. START.json: {"start": [...]} (the C++ OLS start; any reasonable start works).
Model: correct ~ Binomial(trials, chance + (1 - chance) * exp(-exp(X b))).
Writes {"coef": [...], "log_likelihood": ..., "gradient_norm": ...}.
"""
import json
import sys

import numpy as np
import pandas as pd
from scipy.optimize import minimize


def pieces(b, x, k, n, r):
    eta = np.clip(x @ b, -30.0, 6.5)
    s = np.exp(eta)
    q = np.exp(-s)
    acc = r + (1 - r) * q
    one_minus = (1 - r) * (-np.expm1(-s))
    dacc = -(1 - r) * s * q
    return acc, one_minus, dacc


def negative_log_likelihood(b, x, k, n, r):
    acc, one_minus, _ = pieces(b, x, k, n, r)
    ll = np.where(k > 0, k * np.log(acc), 0.0) + np.where(n - k > 0, (n - k) * np.log(one_minus), 0.0)
    return -ll.sum() / n.sum()


def gradient(b, x, k, n, r):
    acc, one_minus, dacc = pieces(b, x, k, n, r)
    d_eta = (k / acc - (n - k) / one_minus) * dacc
    return -(x.T @ d_eta) / n.sum()


def main():
    frame = pd.read_csv(sys.argv[1], float_precision="round_trip")
    start = np.array(json.load(open(sys.argv[2]))["start"], dtype=float)
    regressors = [c for c in frame.columns if c not in ("correct", "trials", "chance")]
    x = frame[regressors].to_numpy()
    k, n, r = (frame[c].to_numpy(dtype=float) for c in ("correct", "trials", "chance"))
    args = (x, k, n, r)
    fit = minimize(negative_log_likelihood, start, args=args, jac=gradient, method="BFGS",
                   options={"gtol": 1e-12, "maxiter": 10000})
    b = fit.x
    # Newton polish: the Hessian by central differences of the analytic gradient.
    for _ in range(20):
        g = gradient(b, *args)
        h = np.empty((len(b), len(b)))
        for j in range(len(b)):
            step = np.zeros(len(b))
            step[j] = 1e-5 * max(1.0, abs(b[j]))
            h[:, j] = (gradient(b + step, *args) - gradient(b - step, *args)) / (2 * step[j])
        h = (h + h.T) / 2
        delta = np.linalg.solve(h, g)
        b = b - delta
        if np.max(np.abs(delta)) < 1e-13:
            break
    g = gradient(b, *args)
    json.dump({"coef": b.tolist(), "log_likelihood": float(-negative_log_likelihood(b, *args) * n.sum()),
               "gradient_norm": float(np.linalg.norm(g))}, open(sys.argv[3], "w"))


if __name__ == "__main__":
    main()
