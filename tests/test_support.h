#pragma once
// Helpers every test uses: the ../shared data (a missing file fails the test with a clear
// message, never skips), a scratch directory, running the quantscale binary.
#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace qs::test {

// Absolute path of shared/<relative>; ADD_FAILURE + throws when it does not exist.
std::string shared_file(const std::string& relative);

// A fresh empty directory under the build tree, removed at destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};
// Runs `quantscale <arguments>` (arguments are passed to /bin/sh as written).
CommandResult run_quantscale(const std::string& arguments);

// Runs a shell command and captures its output.
CommandResult run_shell(const std::string& command);

// Writes `text` to `path` as it is (binary), creating the parent folders.
void write_text(const std::string& path, const std::string& text);

// How many times `needle` occurs in `text` (overlapping occurrences count too).
int count_occurrences(const std::string& text, const std::string& needle);

// The message of the qs::Error `action` throws, or "(no error)".
std::string error_of(const std::function<void()>& action);

// /usr/bin/python3 running tests/reference/<script> with arguments.
CommandResult run_reference(const std::string& script, const std::string& arguments);

}  // namespace qs::test
