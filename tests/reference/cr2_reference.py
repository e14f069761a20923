#!/usr/bin/python3
"""Outside reference for CR2 (Bell-McCaffrey) in src/law/robust_inference.cpp, written from
the formulas with dense n x n matrices (numpy/scipy), independently of the C++ route.

usage: cr2_reference.py DATA.csv OUT.json
DATA.csv: the ols_statsmodels.py layout (regressor columns, integer `group`, optional
`weight` for WLS, response `y`). Writes params, the CR2 covariance `cov`, `bse`, the
Bell-McCaffrey `df` of every coefficient and 95% CIs with t(df):
  V = M (sum_g X_g' A_g e_g e_g' A_g X_g) M,  M = (X'X)^-1,  A_g = (I - H_gg)^(-1/2)
  df_j = tr(G'G)^2 / tr((G'G)^2),  G[:, g] = (I - H)[:, g] A_g X_g M e_j
(Imbens & Kolesar 2016; X, y whitened by sqrt(weight) under WLS).
"""
import json
import sys

import numpy as np
import pandas as pd
from scipy import stats


def inverse_sqrt(matrix):
    values, vectors = np.linalg.eigh(matrix)
    roots = np.where(values > 1e-10, 1 / np.sqrt(np.clip(values, 1e-300, None)), 0.0)
    return vectors @ np.diag(roots) @ vectors.T


def main():
    frame = pd.read_csv(sys.argv[1], float_precision="round_trip")
    names = [c for c in frame.columns if c not in ("y", "group", "weight")]
    x = frame[names].to_numpy()
    y = frame["y"].to_numpy()
    if "weight" in frame.columns:
        root = np.sqrt(frame["weight"].to_numpy())
        x, y = x * root[:, None], y * root
    groups = frame["group"].to_numpy().astype(int)
    m = np.linalg.inv(x.T @ x)
    b = m @ x.T @ y
    e = y - x @ b
    residual_maker = np.eye(len(y)) - x @ m @ x.T
    meat = np.zeros((len(names), len(names)))
    adjust = {}
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        adjust[g] = (idx, inverse_sqrt(residual_maker[np.ix_(idx, idx)]))
        u = x[idx].T @ adjust[g][1] @ e[idx]
        meat += np.outer(u, u)
    cov = m @ meat @ m
    df = []
    for j in range(len(names)):
        columns = [residual_maker[:, idx] @ a @ x[idx] @ m[:, j] for idx, a in adjust.values()]
        gram = np.column_stack(columns).T @ np.column_stack(columns)
        df.append(float(np.trace(gram) ** 2 / np.trace(gram @ gram)))
    bse = np.sqrt(np.diag(cov))
    crit = np.array([stats.t.ppf(0.975, d) for d in df])
    out = {"names": names, "params": b.tolist(), "cov": cov.tolist(), "bse": bse.tolist(), "df": df,
           "ci_low": (b - crit * bse).tolist(), "ci_high": (b + crit * bse).tolist()}
    with open(sys.argv[2], "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
