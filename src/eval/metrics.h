#pragma once
// Per-document metrics as lm-eval's ConfigurableTask.process_results computes them, the
// generation filters (remove_whitespace, regex, take_first) and HF evaluate's exact_match.
#include <map>
#include <string>
#include <vector>

#include "eval/task.h"

namespace qs {

struct ChoiceScore {
  double logprob = 0;
  bool is_greedy = false;
};

// Multiple choice: acc = argmax logprob == gold; acc_norm = argmax logprob / len(choice) with
// len in characters (Python len of the choice string, without the target delimiter);
// acc_bytes = the same by UTF-8 bytes. np.argmax ties resolve to the first index.
std::map<std::string, double> score_multiple_choice(const TaskSpec& spec, const Doc& doc, const std::vector<ChoiceScore>& scores);

// The index np.argmax would return for values[i] / divisor[i] (divisor empty: values).
size_t argmax(const std::vector<double>& values, const std::vector<double>& divisor = {});

// Filters one generation through a pipeline (lm-eval filter semantics).
std::string apply_filter(const FilterPipeline& pipeline, const std::string& generation);

// The field an error about options.regexes_to_ignore[index] names: "<source>: regexes_to_ignore[i]".
std::string regexes_to_ignore_field(const ExactMatchOptions& options, size_t index);

// HF evaluate exact_match for one prediction against one reference (1.0 or 0.0). The patterns run
// under PythonRegex's bounds; one past them is a qs::Error naming its field.
double exact_match(const std::string& prediction, const std::string& reference, const ExactMatchOptions& options);

// Generation: "exact_match,<filter>" -> 1/0; with several targets a match with any counts.
std::map<std::string, double> score_generation(const TaskSpec& spec, const Doc& doc, const std::string& generation);

}  // namespace qs
