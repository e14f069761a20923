#pragma once
// The tasks shipped in shared/benchmarks, as lm-eval defines them (see builtin_tasks.cpp).
#include <vector>

#include "eval/task.h"

namespace qs {
std::vector<TaskSpec> builtin_tasks();
}  // namespace qs
