// quantscale: quantize LLMs, evaluate them by knowledge stratum, fit the scaling law.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>

#include "cli/command_registry.h"
#include "core/blas.h"
#include "core/cpu_dispatch.h"
#include "core/error.h"
#include "core/version.h"

namespace qs::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
}  // namespace qs::cli

int main(int argc, char** argv) {
  CLI::App app{"quantscale — task-stratified scaling laws for quantized LLMs"};
  // The version line says which kernel target runs (core/cpu_dispatch.h); a bad QS_CPU is
  // reported when the first kernel runs, as an error naming it.
  app.set_version_flag("--version", [] {
    std::string target;
    try {
      target = qs::cpu_target();
    } catch (const qs::Error& e) {
      target = e.what();
    }
    return std::string(qs::quantscale_version()) + " (" + std::string(qs::git_revision()) + "), kernels " + target;
  });
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "worker threads (default: all cores)");

  auto& registry = qs::cli::command_registry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::map<CLI::App*, std::function<int()>> actions;
  for (auto& command : registry) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    actions[sub] = command.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help / version text, status 0) and returns its own
    // codes (104, 105, 114, ...); every usage error exits 2, as documented.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (threads > 0) qs::blas::set_threads(threads);
  try {
    qs::select_cpu_target();  // a bad QS_CPU is an error here, not inside a parallel kernel
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const qs::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
  return 1;
}
