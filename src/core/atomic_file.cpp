#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace qs {

void write_file_atomic(const std::string& path, std::string_view contents) {
  std::string temp_path = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path, std::string("cannot create temporary file: ") + std::strerror(errno));
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(temp_path.c_str());
      throw Error(path, std::string("write failed: ") + std::strerror(saved));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int saved = errno;
    ::unlink(temp_path.c_str());
    throw Error(path, std::string("flush failed: ") + std::strerror(saved));
  }
  if (std::rename(temp_path.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp_path.c_str());
    throw Error(path, std::string("rename failed: ") + std::strerror(saved));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(path, "read failed");
  return buffer.str();
}

}  // namespace qs
