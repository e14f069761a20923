#include "core/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/error.h"

extern char** environ;

namespace qs {
namespace {

// Closes the descriptors it holds on every path out of run_process.
struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void close_end(int end) {
    ::close(fds[end]);
    fds[end] = -1;
  }
};

struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
};

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, bool capture_stderr) {
  require(!argv.empty() && !argv[0].empty(), "subprocess", "no program to run");
  Pipe pipe;
  if (::pipe2(pipe.fds, O_CLOEXEC) != 0) throw Error(argv[0], std::string("cannot create a pipe: ") + std::strerror(errno));

  // The child's stdout (and stderr) is the pipe's write end; dup2 clears O_CLOEXEC on the copy.
  SpawnActions spawn;
  posix_spawn_file_actions_adddup2(&spawn.actions, pipe.fds[1], STDOUT_FILENO);
  if (capture_stderr) posix_spawn_file_actions_adddup2(&spawn.actions, pipe.fds[1], STDERR_FILENO);
  else posix_spawn_file_actions_addopen(&spawn.actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);

  std::vector<std::string> args = argv;  // posix_spawnp takes char* const[]
  std::vector<char*> pointers;
  for (auto& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, pointers[0], &spawn.actions, nullptr, pointers.data(), environ);
  if (rc != 0) return {127, "cannot run " + argv[0] + ": " + std::strerror(rc)};
  pipe.close_end(1);  // else the read below never sees end-of-file

  ProcessResult result;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t n = ::read(pipe.fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer.data(), static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(argv[0], std::string("waitpid failed: ") + std::strerror(errno));
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace qs
