#include "core/error.h"

namespace qs {

Error::Error(std::string where, std::string what)
    : std::runtime_error(where.empty() ? what : where + ": " + what),
      where_(std::move(where)),
      what_(std::move(what)) {}

}  // namespace qs
