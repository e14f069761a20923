#pragma once
// Where the read-only data lives: $QS_SHARED_DIR, else ../shared beside the source checkout,
// else ../shared beside the working directory.
#include <string>

namespace qs {

std::string shared_dir();                                  // may not exist; callers check
std::string shared_path(const std::string& relative);     // shared_dir() + "/" + relative

}  // namespace qs
