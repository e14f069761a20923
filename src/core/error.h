#pragma once
// One error type for the whole code base: *where* (file, tensor, row, line, layer) and *what*.
// Bad input is reported through qs::Error, never by abort/assert; the CLI prints
// "error: <where>: <what>" and exits with a non-zero status.
#include <stdexcept>
#include <string>
#include <string_view>

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

// Throws qs::Error(where, what) when `condition` is false. Views, so that a literal or an existing
// string costs nothing when the check passes (this runs inside per-element loops).
inline void require(bool condition, std::string_view where, std::string_view what) {
  if (!condition) throw Error(std::string(where), std::string(what));
}

}  // namespace qs
