#pragma once
// quantscale's version and the git revision it was built from (recorded with every result).
// Defined in a file generated at configure time, so a new commit recompiles one file only.
#include <string_view>

namespace qs {

std::string_view quantscale_version();
std::string_view git_revision();

}  // namespace qs
