#pragma once
// Synthetic sweeps drawn from a known law (planted A, α, β, γ, δ and Gaussian noise on
// y = ln(−ln Acc_adj)), for the law tests and the report test.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "law/observations.h"

namespace qs::test {

struct PlantedLaw {
  double ln_a = 0, alpha = 0, beta = 0, gamma = 0, delta = 0;
};

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

// Writes rows into a SQLite file with a law_observations table (the view's columns).
void write_observation_store(const std::string& path, const std::vector<law::Observation>& rows);

}  // namespace qs::test
