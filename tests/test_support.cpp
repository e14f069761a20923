#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/error.h"
#include "core/shared_paths.h"

namespace qs::test {

std::string shared_file(const std::string& relative) {
  std::string path = qs::shared_path(relative);
  if (!std::filesystem::exists(path)) {
    std::string message = "missing shared data: " + path +
                          " (set QS_SHARED_DIR or place the shared/ folder beside the checkout)";
    ADD_FAILURE() << message;
    throw std::runtime_error(message);
  }
  return path;
}

ScratchDir::ScratchDir(const std::string& name) {
  auto base = std::filesystem::temp_directory_path() / ("qs_test_" + std::to_string(::getpid()));
  path_ = (base / name).string();
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  // The per-process parent too, once empty (remove() refuses a folder another ScratchDir uses).
  std::filesystem::remove(std::filesystem::path(path_).parent_path(), ignored);
}

void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

int count_occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

CommandResult run_shell(const std::string& command) {
  CommandResult result{-1, ""};
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_quantscale(const std::string& arguments) {
  return run_shell(std::string("QS_NO_PROGRESS=1 ") + QS_BINARY + " " + arguments);
}

CommandResult run_reference(const std::string& script, const std::string& arguments) {
  return run_shell(std::string("/usr/bin/python3 ") + QS_TEST_SOURCE_DIR + "/reference/" + script + " " + arguments);
}

}  // namespace qs::test
