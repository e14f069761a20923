#pragma once
// One error type for the whole code base: *where* (file, tensor, row, line, layer) and *what*.
// Bad input is reported through qs::Error, never by abort/assert; the CLI prints
// "error: <where>: <what>" and exits with a non-zero status.
#include <stdexcept>
#include <string>

namespace qs {

class Error : public std::runtime_error {
 public:
  Error(std::string where, std::string what);
  const std::string& where() const noexcept { return where_; }
  const std::string& what_failed() const noexcept { return what_; }

 private:
  std::string where_;
  std::string what_;
};

// Throws qs::Error(where, what) when `condition` is false.
inline void require(bool condition, const std::string& where, const std::string& what) {
  if (!condition) throw Error(where, what);
}

}  // namespace qs
