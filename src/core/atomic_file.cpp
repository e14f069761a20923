#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

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

std::string read_file(const std::string& path, int64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, std::string("cannot open for reading: ") + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw Error(path, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw Error(path, "is a folder, not a file");
  const bool regular = S_ISREG(info.st_mode);
  // A regular file's size is known up front; a pipe, FIFO or device (/dev/zero) may never end,
  // so it is read to a fixed cap and refused past it.
  const int64_t cap = regular ? max_bytes : std::min(max_bytes, kMaxStreamReadBytes);
  if (regular && info.st_size > cap)
    throw Error(path, "file of " + std::to_string(info.st_size) + " bytes exceeds the " + std::to_string(cap >> 20) +
                          " MiB limit for this input");
  std::string contents;
  if (regular) contents.reserve(static_cast<size_t>(info.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path, std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) break;
    if (static_cast<int64_t>(contents.size()) + n > cap)
      throw Error(path, regular ? "file grew past the " + std::to_string(cap >> 20) + " MiB limit while being read"
                                : "not a regular file (a pipe, FIFO or device) and longer than the " +
                                      std::to_string(cap >> 20) + " MiB read from such inputs; save it to a file");
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

}  // namespace qs
