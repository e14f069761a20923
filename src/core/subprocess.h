#pragma once
// Running another program without a shell: the arguments travel as an argument vector
// (posix_spawnp), so no character in them (';', '$(...)', a newline) is ever interpreted.
#include <string>
#include <vector>

namespace qs {

struct ProcessResult {
  int exit_status = 0;  // the program's exit status; 128 + N when killed by signal N;
                        // 127 when it could not be started (not on PATH, not executable)
  std::string output;   // what it wrote to stdout (and stderr when asked), or why it did not start
};

// Runs argv[0] (looked up on PATH when it has no '/') with argv, waits for it and returns its
// exit status and captured stdout. stderr goes to the captured output when `capture_stderr`,
// else to /dev/null. Throws qs::Error only when no pipe or process can be made at all.
ProcessResult run_process(const std::vector<std::string>& argv, bool capture_stderr = false);

}  // namespace qs
