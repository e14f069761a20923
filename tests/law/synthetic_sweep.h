#pragma once
// Synthetic sweeps drawn from a known law (planted A, α, β, γ, δ and Gaussian noise on
// y = ln(−ln Acc_adj)), for the law tests and the report test; and sweeps shaped like a real
// one (issue 15): a per-model offset on y shared by all of a model's points, binomial noise
// on each task's correct/total counts, optionally whole (model, bits) cells at chance.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "law/law_data.h"
#include "law/observations.h"

namespace qs::test {

struct PlantedLaw {
  double ln_a = 0, alpha = 0, beta = 0, gamma = 0, delta = 0;
};
// The paper's L1 and L3 stratum exponents (law/paper_table.h) with the ln A the tests plant.
inline constexpr PlantedLaw kPlantedL1{5.8, -0.315, -0.964, -0.040, 0.064};
inline constexpr PlantedLaw kPlantedL3{6.3, -0.320, -1.200, -0.025, 0.085};

// The planted exponent of one factor (α for N, β for B, δ for G, γ for Cb).
double planted_exponent(const PlantedLaw& law, law::Factor factor);

struct SyntheticTask {
  std::string name, stratum;
  double acc_rand = 0;
};

struct SyntheticGrid {
  std::vector<std::pair<std::string, double>> models;  // name, n_params
  std::vector<int> bits, group_sizes, calib_samples;
  std::vector<SyntheticTask> tasks;
  int seeds = 1;
};

// The paper's grid: Qwen3 0.6B … 14B, B ∈ {3,4,8}, G ∈ {32,64,128,1024}, Cb ∈ {8,32,128,1024}.
SyntheticGrid paper_grid(const std::vector<SyntheticTask>& tasks);

// y = ln A + α ln N + β ln log2 B + γ ln log2 Cb + δ ln G + ε, ε ~ N(0, noise²).
double planted_y(const PlantedLaw& law, double n_params, int bits, int group_size, int calib_samples);

// One GPTQ row per (model, bits, G, Cb, seed, task) whose task's stratum law is laws[stratum
// index in `strata`], plus (with_fp) one fp row per (model, task) at Acc = Acc_rand + 0.9 (1 −
// Acc_rand). Perplexities follow ln(ppl/ppl_fp) = exp(y of the first law).
std::vector<law::Observation> synthetic_sweep(const SyntheticGrid& grid, const std::vector<std::string>& strata,
                                              const std::vector<PlantedLaw>& laws, double noise, std::mt19937_64& rng,
                                              bool with_fp = true);

// The issue-15 scenario's 8 models: Qwen3 0.6/1.7/4/8/14B and Llama-3 1/3/8B, B {3,4,8},
// G {32,64,128,1024}, Cb {8,32,128,1024}.
SyntheticGrid eight_model_grid(const std::vector<SyntheticTask>& tasks);

struct BinomialNoise {
  double model_offset_sd = 0.08;     // sd of each model's offset on y (one draw per model)
  int docs_min = 600, docs_max = 1000;  // each task's document count, uniform, drawn once per sweep
  int collapse_bits = 0;             // at this bit width, models below collapse_below_params answer
  double collapse_below_params = 0;  // at chance (Acc = Acc_rand in expectation)
};

// One GPTQ row per (model, bits, G, Cb, task): correct ~ Binomial(docs, Acc),
// Acc = Acc_rand + (1 − Acc_rand)·exp(−exp(y + u_model)), acc = correct/docs,
// acc_stderr = √(acc(1 − acc)/(docs − 1)) (lm-eval's sample standard error).
std::vector<law::Observation> binomial_sweep(const SyntheticGrid& grid, const std::vector<std::string>& strata,
                                             const std::vector<PlantedLaw>& laws, const BinomialNoise& noise,
                                             std::mt19937_64& rng);

// Writes rows into a SQLite file with a law_observations table (the view's columns).
void write_observation_store(const std::string& path, const std::vector<law::Observation>& rows);

}  // namespace qs::test
