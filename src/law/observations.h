#pragma once
// The law's input: one row per (sweep point, task), read from the results store's SQL view
// `law_observations` (the contract with src/sweep, documented in docs/law.md) or from a CSV
// file with the same header.
//
// Columns: point_id, model, architecture, n_params, n_params_nonembed, method ('fp','gptq',
// 'rtn'), bits (16 = full-precision baseline), group_size (-1 = per output channel),
// calib_samples (0 for fp/rtn), seed, task, stratum ('L1','L2','L3'), metric, acc, acc_stderr,
// acc_rand, ppl, ppl_fp, and optionally n_docs (documents behind acc; schema version 2 of the
// store, absent from older stores and hand-written CSVs: 0 = unknown). A NULL/empty real reads
// as NaN.
#include <cstdint>
#include <string>
#include <vector>

namespace qs::law {

struct Observation {
  std::string point_id;
  std::string model;
  std::string architecture;
  int64_t n_params = 0;
  int64_t n_params_nonembed = 0;
  std::string method;
  int bits = 0;
  int group_size = 0;
  int calib_samples = 0;
  int64_t seed = 0;
  std::string task;
  std::string stratum;
  std::string metric;
  double acc = 0;
  double acc_stderr = 0;
  double acc_rand = 0;
  double ppl = 0;     // WikiText perplexity of the point (NaN when not measured)
  double ppl_fp = 0;  // perplexity of the same model at full precision (NaN when not measured)
  int64_t n_docs = 0; // documents acc was measured on (the binomial estimator's n), 0 = unknown
};

// The exact column list of the contract, in order (n_docs, optional, comes after them).
const std::vector<std::string>& observation_columns();
constexpr const char* kDocumentCountColumn = "n_docs";

// Reads a SQLite store (file starting with "SQLite format 3") through its law_observations
// view, or a CSV file whose header names every contract column (any order, extra columns
// ignored). Throws qs::Error naming the file and the row/column for missing files, missing
// view/columns and unparsable values. An empty result is returned as an empty vector.
std::vector<Observation> load_observations(const std::string& path);

std::vector<Observation> load_observations_sqlite(const std::string& path);
std::vector<Observation> load_observations_csv(const std::string& path);

// Writes rows as CSV with the contract header (for export and tests).
std::string observations_to_csv(const std::vector<Observation>& rows);

}  // namespace qs::law
