#include "core/cpu_dispatch.h"

#include <cstdlib>
#include <mutex>
#include <string_view>

#include "core/error.h"
#include "hwy/highway.h"
#include "hwy/targets.h"

namespace qs {
namespace {

// The Highway targets behind each QS_CPU name. Highway numbers targets best-first (a lower
// bit is a better target); "portable" is the static target the whole binary is compiled for,
// with Highway's emulated/scalar fallbacks below it.
struct NamedTarget {
  std::string_view name;
  int64_t bits;
};

#if HWY_ARCH_X86
constexpr NamedTarget kTargets[] = {
    {"avx512", HWY_AVX3 | HWY_AVX3_DL},
    {"avx2", HWY_AVX2},
};
#elif HWY_ARCH_ARM_A64
constexpr NamedTarget kTargets[] = {
    {"sve2", HWY_SVE2 | HWY_SVE2_128},
    {"sve", HWY_SVE | HWY_SVE_256},
};
#else
constexpr NamedTarget kTargets[] = {{"portable", HWY_STATIC_TARGET}};
#endif

// The best target of `mask`: its lowest set bit.
int64_t best_of(int64_t mask) { return mask & -mask; }

std::string_view name_of(int64_t target) {
  for (const NamedTarget& t : kTargets)
    if ((t.bits & target) != 0) return t.name;
  return "portable";
}

// Targets no better than `cap` (every bit at or above its lowest bit).
int64_t no_better_than(int64_t cap) { return ~(best_of(cap) - 1); }

int64_t compiled_and_supported() { return hwy::SupportedTargets() & (HWY_TARGETS | HWY_STATIC_TARGET); }

// What the CPU runs of what was compiled, read before QS_CPU narrows it.
int64_t g_available = 0;

void apply_environment() {
  g_available = compiled_and_supported();
  const char* value = std::getenv("QS_CPU");
  if (value == nullptr || std::string_view(value).empty() || std::string_view(value) == "best") return;
  const std::string_view wanted(value);
  const int64_t available = g_available;
  int64_t cap = 0;
  if (wanted == "portable") {
    cap = HWY_STATIC_TARGET;
  } else {
    for (const NamedTarget& t : kTargets)
      if (wanted == t.name) cap = t.bits;
    require(cap != 0, "QS_CPU", "unknown value '" + std::string(wanted) + "' (use portable, avx2, avx512 or best)");
    require((available & cap) != 0, "QS_CPU",
            std::string(wanted) + " is not supported by this CPU (or not compiled in); supported here: " +
                [] {
                  std::string list;
                  for (const std::string& name : supported_cpu_targets()) list += (list.empty() ? "" : ", ") + name;
                  return list;
                }());
  }
  // Highway 1.0.3's DisableTargets leaves the already chosen target in place; restricting the
  // supported set re-chooses it (checked: the dispatched kernel then reports the capped target).
  hwy::SetSupportedTargetsForTest(available & no_better_than(cap));
}

std::once_flag g_selected;

}  // namespace

void select_cpu_target() { std::call_once(g_selected, apply_environment); }

std::string cpu_target() {
  select_cpu_target();
  return std::string(name_of(best_of(compiled_and_supported())));
}

std::string cpu_target_detail() {
  select_cpu_target();
  return hwy::TargetName(best_of(compiled_and_supported()));
}

std::vector<std::string> supported_cpu_targets() {
  // What the CPU itself runs, whatever QS_CPU caps.
  if (g_available == 0) g_available = compiled_and_supported();
  std::vector<std::string> names{"portable"};
  const int64_t available = g_available;
  for (auto it = std::rbegin(kTargets); it != std::rend(kTargets); ++it)
    if ((available & it->bits) != 0 && it->name != "portable") names.emplace_back(it->name);
  return names;
}

}  // namespace qs
