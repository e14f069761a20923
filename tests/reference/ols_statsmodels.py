#!/usr/bin/python3
"""Outside reference for src/law/ols.cpp: statsmodels OLS on a CSV design.

usage: ols_statsmodels.py DATA.csv OUT.json [RESTRICTED ...]
DATA.csv has a header; column `y` is the response, every other column a regressor (include a
column of ones named `const` for an intercept). Each RESTRICTED is a comma-separated subset of
regressor names: a nested model compared to the full one with statsmodels' compare_f_test.
Writes params, bse, HC3_se, tvalues, pvalues, conf_int, rsquared, rsquared_adj, fvalue,
f_pvalue, ssr, condition_number and the nested F-tests as JSON.
"""
import json
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm


def main():
    data_path, out_path = sys.argv[1], sys.argv[2]
    frame = pd.read_csv(data_path, float_precision="round_trip")
    y = frame["y"].to_numpy()
    regressors = [c for c in frame.columns if c != "y"]
    full = sm.OLS(y, frame[regressors].to_numpy()).fit()
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
        restricted = sm.OLS(y, frame[names].to_numpy()).fit()
        f, p, df_diff = full.compare_f_test(restricted)
        out["nested"].append({"regressors": names, "f": float(f), "p": float(p), "df_diff": float(df_diff),
                              "rsquared": restricted.rsquared})
    with open(out_path, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
