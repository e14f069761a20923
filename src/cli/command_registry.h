#pragma once
// Each subcommand lives in its own src/cli/<name>_command.cpp and registers itself here with a
// static CommandRegistration; main.cpp builds the CLI11 app from the registry.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace qs::cli {

struct Command {
  std::string name;
  std::string description;
  // Adds options to `sub` and returns the action to run after parsing (returns exit code).
  std::function<std::function<int()>(CLI::App& sub)> setup;
};

std::vector<Command>& command_registry();

struct CommandRegistration {
  explicit CommandRegistration(Command command) { command_registry().push_back(std::move(command)); }
};

}  // namespace qs::cli
