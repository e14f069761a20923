#include "eval/expected_prompts.h"

#include <fstream>
#include <stdexcept>

namespace qs::test {

nlohmann::json expected_prompts(const std::string& task) {
  std::string path = std::string(QS_TEST_SOURCE_DIR) + "/eval/expected_prompts/" + task + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing " + path);
  return nlohmann::json::parse(in);
}

}  // namespace qs::test
