// Issue 14 item 10: a config.json with fewer layers than the checkpoint's weights is an error
// naming the tensors it would leave unused (it used to run a silently truncated model).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "io/random_checkpoint.h"
#include "test_support.h"

namespace qs {
namespace {

TEST(CheckpointLayers, ConfigWithFewerLayersThanTheWeightsNamesTheUnusedTensors) {
  test::ScratchDir dir("checkpoint_layers");
  write_random_checkpoint(dir.path(), tiny_config_json("Qwen3ForCausalLM", {.n_layers = 3}));
  EXPECT_NO_THROW(Checkpoint::open(dir.path()));
  auto config = nlohmann::json::parse(read_file(dir.file("config.json")));
  config["num_hidden_layers"] = 1;
  write_file_atomic(dir.file("config.json"), config.dump(2));
  try {
    Checkpoint::open(dir.path());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("config.json"), std::string::npos) << message;
    EXPECT_NE(message.find("num_hidden_layers is 1"), std::string::npos) << message;
    EXPECT_NE(message.find("'model.layers.1."), std::string::npos) << message;
    // Layers 1 and 2 of a Qwen3 layer: 2 norms + q/k norms + 7 linears = 11 tensors each.
    EXPECT_NE(message.find(" 22 tensors"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace qs
