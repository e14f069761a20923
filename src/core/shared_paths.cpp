#include "core/shared_paths.h"

#include <cstdlib>
#include <filesystem>

namespace qs {

std::string shared_dir() {
  if (const char* env = std::getenv("QS_SHARED_DIR"); env != nullptr && *env != '\0') return env;
  std::filesystem::path beside_source = std::filesystem::path(QS_SOURCE_DIR).parent_path() / "shared";
  if (std::filesystem::exists(beside_source)) return beside_source.string();
  return (std::filesystem::current_path().parent_path() / "shared").string();
}

std::string shared_path(const std::string& relative) { return shared_dir() + "/" + relative; }

}  // namespace qs
