#pragma once
// Small studies on the shipped 656K model for the sweep tests, a reader for the store, and
// the pieces of the kill -9 tests: a sweep process to kill, and the "nothing lost" check.
#include <sys/types.h>

#include <string>
#include <vector>

namespace qs::test {

// The orchestration tests' runner. Switching every sweep test to real points (quantize +
// eval + ppl) is this one line: make it "" once src/quant and src/eval have landed.
inline const char* const kTestRunner = "[sweep]\nrunner = \"synthetic\"\nsynthetic_seconds = 0.08\n";

// [evaluation] and [perplexity] of the orchestration tests' studies, then kTestRunner.
inline const std::string kTestEvaluation =
    "[evaluation]\ntasks = [\"arc_easy\", \"piqa\"]\nlimit = 8\n\n"
    "[perplexity]\ntext = \"${shared}/text/wikitext2/wiki.test.raw\"\nctx = 64\nmax_tokens = 512\n\n" +
    std::string(kTestRunner);

// A study on shared/models/tinystories-656k writing to `output`; `grid` is the
// [quantization] body (methods, bits, group_sizes, calib_samples, seeds), calibration windows
// of 64 tokens; `evaluation` the sections after it.
std::string tiny_study(const std::string& output, const std::string& grid,
                       const std::string& evaluation = kTestEvaluation);

// Every row of a query as "col1|col2|..." strings, in the query's order.
std::vector<std::string> query_rows(const std::string& db_path, const std::string& sql);

// `quantscale --threads 1 sweep STUDY --jobs K` as a child process (QS_NO_PROGRESS set). Its
// stdout and stderr go to `output_fd` (a pipe the test reads) or, when that is -1, /dev/null.
pid_t start_sweep(const std::string& study, int jobs, int output_fd = -1);

// The store a killed and restarted sweep left holds `points` points exactly once, all ok at
// their first attempt, passes PRAGMA integrity_check, and equals the uninterrupted sweep's
// store row for row (configurations, task metrics, law observations, perplexity, quantization).
void expect_nothing_lost(const std::string& killed_db, const std::string& reference_db, int points);

}  // namespace qs::test
