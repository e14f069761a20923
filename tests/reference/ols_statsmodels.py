#!/usr/bin/python3
"""Outside reference for src/law/ols.cpp: statsmodels OLS on a CSV design.

usage: ols_statsmodels.py DATA.csv OUT.json [RESTRICTED ...]
DATA.csv has a header; column `y` is the response, every other column a regressor (include a
column of ones named `const` for an intercept). An optional integer column `group` is the
cluster of each row (not a regressor): the output then has "cluster" with statsmodels'
cov_type='cluster' (CR1, use_t: t(G-1)) SEs, p-values, 95% CIs, covariance and, per
RESTRICTED, the cluster-robust Wald F-test of the coefficients the restricted model drops.
An optional column `weight` makes every fit statsmodels WLS with those weights. Each RESTRICTED is a comma-separated subset of
regressor names: a nested model compared to the full one with statsmodels' compare_f_test.
Writes params, bse, HC3_se, tvalues, pvalues, conf_int, rsquared, rsquared_adj, fvalue,
f_pvalue, ssr, condition_number and the nested F-tests as JSON.
"""
import json
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm


def model(frame, y, names):
    if "weight" in frame.columns:
        return sm.WLS(y, frame[names].to_numpy(), weights=frame["weight"].to_numpy())
    return sm.OLS(y, frame[names].to_numpy())


def cluster_inference(frame, y, regressors, restricted_specs):
    groups = frame["group"].to_numpy().astype(int)
    fit = model(frame, y, regressors).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    ci = fit.conf_int(alpha=0.05)
    out = {"bse": fit.bse.tolist(), "pvalues": fit.pvalues.tolist(), "tvalues": fit.tvalues.tolist(),
           "ci_low": ci[:, 0].tolist(), "ci_high": ci[:, 1].tolist(), "cov": fit.cov_params().tolist(),
           "df": float(fit.df_resid_inference), "wald": []}
    for spec in restricted_specs:
        dropped = [k for k, name in enumerate(regressors) if name not in spec.split(",")]
        test = fit.wald_test(np.eye(len(regressors))[dropped], use_f=True, scalar=True)
        out["wald"].append({"f": float(test.fvalue), "p": float(test.pvalue), "df_num": float(test.df_num),
                            "df_denom": float(test.df_denom)})
    return out


def main():
    data_path, out_path = sys.argv[1], sys.argv[2]
    frame = pd.read_csv(data_path, float_precision="round_trip")
    y = frame["y"].to_numpy()
    regressors = [c for c in frame.columns if c not in ("y", "group", "weight")]
    full = model(frame, y, regressors).fit()
    ci = full.conf_int(alpha=0.05)
    out = {
        "names": regressors,
        "params": full.params.tolist(),
        "bse": full.bse.tolist(),
        "HC3_se": full.HC3_se.tolist(),
        "tvalues": full.tvalues.tolist(),
        "pvalues": full.pvalues.tolist(),
        "ci_low": ci[:, 0].tolist(),
        "ci_high": ci[:, 1].tolist(),
        "rsquared": full.rsquared,
        "rsquared_adj": full.rsquared_adj,
        "fvalue": full.fvalue,
        "f_pvalue": full.f_pvalue,
        "ssr": full.ssr,
        "condition_number": full.condition_number,
        "nested": [],
    }
    for spec in sys.argv[3:]:
        names = spec.split(",")
        restricted = model(frame, y, names).fit()
        f, p, df_diff = full.compare_f_test(restricted)
        out["nested"].append({"regressors": names, "f": float(f), "p": float(p), "df_diff": float(df_diff),
                              "rsquared": restricted.rsquared})
    if "group" in frame.columns:
        out["cluster"] = cluster_inference(frame, y, regressors, sys.argv[3:])
    with open(out_path, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
