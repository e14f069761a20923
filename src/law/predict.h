#pragma once
// Predictions from a fitted law with intervals (fit.json → quantscale predict, recommend):
//   ŷ = x0ᵀ b,   interval ŷ ± t(1 − (1−conf)/2, df) · √Var
// Cluster-robust (default), a new point of a new model:
//   Var = x0ᵀ V x0 + σ²_w(ŷ) + τ²  (V cluster-robust; σ²_w(ŷ), τ²: law_fit.h)
//   df  = Var² / Σ_k (v_k² / df_k)  (Welch–Satterthwaite; df_k = G − 1, within df, G − k_b)
// Classical / HC3 (points taken as independent): Var = x0ᵀ Cov(b) x0 + σ², df = n − p
// (σ² = Σ e²/(n − p) in y's units, also under WLS).
// back-transformed monotonically: Acc_adj = exp(−exp ŷ), and per task
// Acc = Acc_rand + (1 − Acc_rand) · Acc_adj; for L0 ppl_q/ppl_fp = exp(exp ŷ).
#include <map>
#include <string>
#include <vector>

#include "law/law_fit.h"

namespace qs::law {

struct Configuration {
  double n_params = 0;
  int bits = 4;
  int group_size = 128;
  int calib_samples = 128;
};

struct Interval {
  double value = 0, low = 0, high = 0;
};

struct StratumPrediction {
  std::string stratum;
  Response response = Response::Accuracy;
  Interval y;                               // in the fitted space
  double se_mean = 0, se_prediction = 0;
  Interval natural;                         // Acc_adj, or ppl_q/ppl_fp for L0
  std::map<std::string, Interval> task_accuracy;  // Acc per task of the stratum (accuracy only)
  std::vector<std::string> warnings;        // extrapolation, factors held constant in the data
};

// Throws qs::Error when the fit is missing or the configuration has no regressor value for a
// factor in the fit (G = −1 with G in the law, Cb < 2 with Cb in the law, B < 2).
StratumPrediction predict_stratum(const StratumFit& fit, const Configuration& config, double confidence = 0.95);

}  // namespace qs::law
