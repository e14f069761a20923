#include "law/synthetic_sweep.h"

#include <sqlite3.h>

#include <cmath>
#include <stdexcept>

namespace qs::test {

double planted_exponent(const PlantedLaw& law, law::Factor factor) {
  switch (factor) {
    case law::Factor::N: return law.alpha;
    case law::Factor::B: return law.beta;
    case law::Factor::G: return law.delta;
    case law::Factor::Cb: return law.gamma;
  }
  return NAN;
}

SyntheticGrid paper_grid(const std::vector<SyntheticTask>& tasks) {
  SyntheticGrid grid;
  grid.models = {{"Qwen3-0.6B", 0.6e9}, {"Qwen3-1.7B", 1.7e9}, {"Qwen3-4B", 4e9}, {"Qwen3-8B", 8e9}, {"Qwen3-14B", 14e9}};
  grid.bits = {3, 4, 8};
  grid.group_sizes = {32, 64, 128, 1024};
  grid.calib_samples = {8, 32, 128, 1024};
  grid.tasks = tasks;
  return grid;
}

double planted_y(const PlantedLaw& law, double n_params, int bits, int group_size, int calib_samples) {
  return law.ln_a + law.alpha * std::log(n_params) + law.beta * std::log(std::log2(bits)) +
         law.gamma * std::log(std::log2(calib_samples)) + law.delta * std::log(group_size);
}

std::vector<law::Observation> synthetic_sweep(const SyntheticGrid& grid, const std::vector<std::string>& strata,
                                              const std::vector<PlantedLaw>& laws, double noise, std::mt19937_64& rng,
                                              bool with_fp) {
  std::normal_distribution<double> epsilon(0.0, noise);
  std::vector<law::Observation> rows;
  auto law_of = [&](const std::string& stratum) -> const PlantedLaw& {
    for (size_t i = 0; i < strata.size(); ++i)
      if (strata[i] == stratum) return laws[i];
    throw std::runtime_error("no planted law for stratum " + stratum);
  };
  for (const auto& model_and_size : grid.models) {
    // Named copies: lambdas cannot capture structured bindings before C++20 support in clang 16.
    const std::string& model = model_and_size.first;
    const double n = model_and_size.second;
    auto base = [&](const std::string& id) {
      law::Observation o;
      o.point_id = id;
      o.model = model;
      o.architecture = "qwen3";
      o.n_params = static_cast<int64_t>(n);
      o.n_params_nonembed = static_cast<int64_t>(n * 0.85);
      o.ppl_fp = 10.0;
      o.acc_stderr = 0.01;
      o.metric = "acc";
      return o;
    };
    if (with_fp)
      for (const auto& t : grid.tasks) {
        auto o = base(model + "/fp");
        o.method = "fp";
        o.bits = 16;
        o.group_size = -1;
        o.calib_samples = 0;
        o.task = t.name;
        o.stratum = t.stratum;
        o.acc_rand = t.acc_rand;
        o.acc = t.acc_rand + 0.9 * (1 - t.acc_rand);
        o.ppl = 10.0;
        rows.push_back(o);
      }
    for (int b : grid.bits)
      for (int g : grid.group_sizes)
        for (int cb : grid.calib_samples)
          for (int seed = 0; seed < grid.seeds; ++seed) {
            std::string id = model + "/b" + std::to_string(b) + "/g" + std::to_string(g) + "/c" + std::to_string(cb) +
                             "/s" + std::to_string(seed);
            double ppl = 10.0 * std::exp(std::exp(planted_y(laws[0], n, b, g, cb) + epsilon(rng)));
            for (const auto& t : grid.tasks) {
              auto o = base(id);
              o.method = "gptq";
              o.bits = b;
              o.group_size = g;
              o.calib_samples = cb;
              o.seed = seed;
              o.task = t.name;
              o.stratum = t.stratum;
              o.acc_rand = t.acc_rand;
              double y = planted_y(law_of(t.stratum), n, b, g, cb) + epsilon(rng);
              o.acc = t.acc_rand + (1 - t.acc_rand) * std::exp(-std::exp(y));
              o.ppl = ppl;
              rows.push_back(o);
            }
          }
  }
  return rows;
}

SyntheticGrid eight_model_grid(const std::vector<SyntheticTask>& tasks) {
  SyntheticGrid grid = paper_grid(tasks);
  grid.models.insert(grid.models.end(), {{"Llama-3.2-1B", 1.24e9}, {"Llama-3.2-3B", 3.21e9}, {"Llama-3-8B", 8.03e9}});
  return grid;
}

std::vector<law::Observation> binomial_sweep(const SyntheticGrid& grid, const std::vector<std::string>& strata,
                                             const std::vector<PlantedLaw>& laws, const BinomialNoise& noise,
                                             std::mt19937_64& rng) {
  std::normal_distribution<double> offset(0.0, noise.model_offset_sd);
  std::uniform_int_distribution<int> docs_of(noise.docs_min, noise.docs_max);
  std::vector<int> docs;
  for (size_t t = 0; t < grid.tasks.size(); ++t) docs.push_back(docs_of(rng));
  std::vector<law::Observation> rows;
  for (const auto& [model, n] : grid.models) {
    const double u = offset(rng);
    for (int b : grid.bits)
      for (int g : grid.group_sizes)
        for (int cb : grid.calib_samples)
          for (size_t t = 0; t < grid.tasks.size(); ++t) {
            const SyntheticTask& task = grid.tasks[t];
            size_t s = 0;
            while (s < strata.size() && strata[s] != task.stratum) ++s;
            if (s == strata.size()) throw std::runtime_error("no planted law for stratum " + task.stratum);
            bool collapsed = b == noise.collapse_bits && n < noise.collapse_below_params;
            double adj = collapsed ? 0.0 : std::exp(-std::exp(planted_y(laws[s], n, b, g, cb) + u));
            double p = task.acc_rand + (1 - task.acc_rand) * adj;
            int correct = std::binomial_distribution<int>(docs[t], p)(rng);
            law::Observation o;
            o.point_id = model + "/b" + std::to_string(b) + "/g" + std::to_string(g) + "/c" + std::to_string(cb);
            o.model = model;
            o.architecture = model.rfind("Llama", 0) == 0 ? "llama" : "qwen3";
            o.n_params = static_cast<int64_t>(n);
            o.n_params_nonembed = static_cast<int64_t>(n * 0.85);
            o.method = "gptq";
            o.bits = b;
            o.group_size = g;
            o.calib_samples = cb;
            o.task = task.name;
            o.stratum = task.stratum;
            o.metric = "acc";
            o.acc = static_cast<double>(correct) / docs[t];
            o.acc_stderr = std::sqrt(o.acc * (1 - o.acc) / (docs[t] - 1));
            o.acc_rand = task.acc_rand;
            o.n_docs = docs[t];
            o.ppl = o.ppl_fp = NAN;
            rows.push_back(o);
          }
  }
  return rows;
}

void write_observation_store(const std::string& path, const std::vector<law::Observation>& rows) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot create " + path);
  const char* schema =
      "CREATE TABLE law_observations (point_id TEXT, model TEXT, architecture TEXT, n_params INTEGER, "
      "n_params_nonembed INTEGER, method TEXT, bits INTEGER, group_size INTEGER, calib_samples INTEGER, seed INTEGER, "
      "task TEXT, stratum TEXT, metric TEXT, acc REAL, acc_stderr REAL, acc_rand REAL, ppl REAL, ppl_fp REAL, n_docs INTEGER)";
  sqlite3_exec(db, schema, nullptr, nullptr, nullptr);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO law_observations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &stmt, nullptr);
  for (const auto& o : rows) {
    int i = 1;
    auto text = [&](const std::string& s) { sqlite3_bind_text(stmt, i++, s.c_str(), -1, SQLITE_TRANSIENT); };
    auto integer = [&](int64_t v) { sqlite3_bind_int64(stmt, i++, v); };
    auto real = [&](double v) { std::isnan(v) ? sqlite3_bind_null(stmt, i++) : sqlite3_bind_double(stmt, i++, v); };
    text(o.point_id), text(o.model), text(o.architecture), integer(o.n_params), integer(o.n_params_nonembed);
    text(o.method), integer(o.bits), integer(o.group_size), integer(o.calib_samples), integer(o.seed);
    text(o.task), text(o.stratum), text(o.metric), real(o.acc), real(o.acc_stderr), real(o.acc_rand), real(o.ppl),
        real(o.ppl_fp);
    o.n_docs > 0 ? sqlite3_bind_int64(stmt, i++, o.n_docs) : sqlite3_bind_null(stmt, i++);
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

}  // namespace qs::test
