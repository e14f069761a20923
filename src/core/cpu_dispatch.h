#pragma once
// Which instruction set the hot kernels run with. The binary is built for a portable baseline
// (x86-64-v2 on x86); the kernels (vector exp/erf/tanh, norms, activations, softmax, the
// next-token scorer, weight widening, GPTQ's column loop) are compiled again for AVX2 and
// AVX-512 by Google Highway (hwy/foreach_target.h) and the best one this CPU runs is picked at
// run time. The environment variable QS_CPU caps the choice, so one machine can test every path:
//   QS_CPU=portable | avx2 | avx512   (unset or "best": the best the CPU supports)
// A value the CPU cannot run, or an unknown one, is an error naming QS_CPU.
#include <string>
#include <vector>

namespace qs {

// Reads QS_CPU once and applies it; later calls are a single atomic load. Every dispatched
// kernel calls it (QS_DISPATCH below), so no caller has to remember to.
void select_cpu_target();

// The target the kernels use now, by its QS_CPU name ("avx512", "avx2", "portable"; on Arm
// "neon", "sve", ...), and Highway's own name for it.
std::string cpu_target();
std::string cpu_target_detail();

// Every QS_CPU value this CPU can run, portable first.
std::vector<std::string> supported_cpu_targets();

}  // namespace qs

// The current target's version of a kernel exported with HWY_EXPORT in the same file.
#define QS_DISPATCH(kernel) (::qs::select_cpu_target(), HWY_DYNAMIC_DISPATCH(kernel))
