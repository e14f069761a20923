// GPTQ checkpoint export: tensor layout, config records as the published GPTQ checkpoints have
// them, copied files, and no half-written folder on failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/version.h"
#include "io/checkpoint.h"
#include "io/random_checkpoint.h"
#include "quant/gptq.h"
#include "quant/rtn.h"
#include "quant/gptq_export.h"
#include "test_support.h"

namespace qs {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  test::ScratchDir dir{"gptq_export"};
  std::string source = dir.file("source");
  std::vector<GptqTensors> packed;
  std::vector<ExportedLinear> linears;

  Fixture() {
    TinyShape shape;  // d_model 64, d_ff 128: every in_features a multiple of 32
    write_random_checkpoint(source, tiny_config_json("LlamaForCausalLM", shape), {.dtype = DType::BF16});
    fs::copy_file(test::shared_file("models/tinystories-656k/tokenizer.json"), source + "/tokenizer.json");
    // Side files a loader needs beside the weights (chat template, trust_remote_code modules).
    write_file_atomic(source + "/chat_template.jinja", "{{ messages[0]['content'] }}");
    write_file_atomic(source + "/modeling_custom.py", "# custom code\n");
    write_file_atomic(source + "/special_tokens_map.json", "{}");
    write_file_atomic(source + "/training_args.bin", "not a side file");
  }
  // RTN-quantizes every linear of the source checkpoint (3-bit, g32).
  void quantize_all(const Checkpoint& checkpoint) {
    const auto& config = checkpoint.config();
    for (int64_t layer = 0; layer < config.n_layers; ++layer)
      for (const auto& spec : config.arch->linears) {
        const std::string prefix = config.layer_prefix(layer) + std::string(spec.name);
        const TensorView& w = checkpoint.get(prefix + ".weight");
        auto values = w.to_f32();
        QuantGrid grid{3};
        grid.min_zero = 1;
        auto q = rtn_quantize(values.data(), w.shape[0], w.shape[1], grid, 32, prefix);
        packed.push_back(pack_gptq(q, 32, prefix));
      }
    size_t k = 0;
    for (int64_t layer = 0; layer < config.n_layers; ++layer)
      for (const auto& spec : config.arch->linears)
        linears.push_back({config.layer_prefix(layer) + std::string(spec.name), &packed[k++]});
  }
};

TEST(GptqExport, WritesTheGptqLayoutAndCopiesEverythingElse) {
  Fixture f;
  auto source = Checkpoint::open(f.source);
  f.quantize_all(source);
  const std::string out = f.dir.file("out");
  GptqExportConfig config;
  config.bits = 3;
  config.group_size = 32;
  config.desc_act = true;
  config.true_sequential = true;
  export_gptq_checkpoint(source, f.linears, config, out);

  SafetensorsFile written(out + "/model.safetensors");
  for (const auto& linear : f.linears) {
    EXPECT_EQ(written.find(linear.prefix + ".weight"), nullptr);
    const TensorView* qweight = written.find(linear.prefix + ".qweight");
    ASSERT_NE(qweight, nullptr) << linear.prefix;
    const auto& t = *linear.tensors;
    EXPECT_EQ(qweight->dtype, DType::I32);
    EXPECT_EQ(qweight->shape, (std::vector<int64_t>{t.in_features / 32 * 3, t.out_features}));
    EXPECT_EQ(0, std::memcmp(qweight->data, t.qweight.data(), qweight->n_bytes));
    const TensorView* qzeros = written.find(linear.prefix + ".qzeros");
    ASSERT_NE(qzeros, nullptr);
    EXPECT_EQ(qzeros->shape, (std::vector<int64_t>{t.in_features / 32, t.out_features / 32 * 3}));
    const TensorView* scales = written.find(linear.prefix + ".scales");
    ASSERT_NE(scales, nullptr);
    EXPECT_EQ(scales->dtype, DType::F16);
    EXPECT_EQ(scales->shape, (std::vector<int64_t>{t.in_features / 32, t.out_features}));
    const TensorView* g_idx = written.find(linear.prefix + ".g_idx");
    ASSERT_NE(g_idx, nullptr);
    EXPECT_EQ(g_idx->dtype, DType::I32);
    EXPECT_EQ(g_idx->shape, (std::vector<int64_t>{t.in_features}));
  }
  // Untouched tensors: same dtype, shape and bytes.
  int64_t copied = 0;
  for (const auto& name : source.tensor_names()) {
    if (name.find("_proj.weight") != std::string::npos) continue;
    const TensorView* tensor = written.find(name);
    ASSERT_NE(tensor, nullptr) << name;
    const TensorView& original = source.get(name);
    EXPECT_EQ(tensor->dtype, original.dtype);
    EXPECT_EQ(tensor->shape, original.shape);
    EXPECT_EQ(0, std::memcmp(tensor->data, original.data, original.n_bytes)) << name;
    ++copied;
  }
  EXPECT_GT(copied, 3);
  for (const char* side : {"tokenizer.json", "chat_template.jinja", "modeling_custom.py", "special_tokens_map.json"})
    EXPECT_EQ(read_file(out + "/" + side), read_file(f.source + "/" + side)) << side;
  EXPECT_FALSE(fs::exists(out + "/training_args.bin"));

  // config.json: the source config plus quantization_config with every field the published
  // GPTQ checkpoints record (shared/hf/TheBloke-*-GPTQ), and the quantize_config.json twin.
  auto written_config = nlohmann::json::parse(read_file(out + "/config.json"));
  auto source_config = nlohmann::json::parse(read_file(f.source + "/config.json"));
  // The scales are fp16: the checkpoint says so whatever the source's dtype (bf16 here).
  ASSERT_EQ(source_config["torch_dtype"], "bfloat16");
  EXPECT_EQ(written_config["torch_dtype"], "float16");
  for (auto it = source_config.begin(); it != source_config.end(); ++it)
    if (it.key() != "torch_dtype") {
      EXPECT_EQ(written_config[it.key()], it.value()) << it.key();
    }
  const auto& q = written_config["quantization_config"];
  auto published = nlohmann::json::parse(
      read_file(test::shared_file("hf/TheBloke-Genz-70b-GPTQ/config.json")))["quantization_config"];
  for (auto it = published.begin(); it != published.end(); ++it) EXPECT_TRUE(q.contains(it.key())) << it.key();
  EXPECT_EQ(q["quant_method"], "gptq");
  EXPECT_EQ(q["bits"], 3);
  EXPECT_EQ(q["group_size"], 32);
  EXPECT_EQ(q["desc_act"], true);
  EXPECT_EQ(q["sym"], true);  // the default, as every published GPTQ config
  EXPECT_EQ(q["true_sequential"], true);
  EXPECT_EQ(q["static_groups"], false);
  EXPECT_EQ(q["checkpoint_format"], "gptq");
  EXPECT_DOUBLE_EQ(q["damp_percent"].get<double>(), 0.01);
  // quantscale's record of the run, in GPTQModel's "meta" object; no calibration given here.
  EXPECT_EQ(q["meta"]["quantizer"][0], "quantscale:" + std::string(quantscale_version()));
  EXPECT_EQ(q["meta"]["method"], "gptq");
  EXPECT_TRUE(q["meta"]["calib_samples"].is_null());
  EXPECT_EQ(q["meta"]["act_order"], true);
  EXPECT_EQ(q["meta"]["true_sequential"], true);
  EXPECT_EQ(q["meta"]["mse"], false);
  EXPECT_TRUE(q["meta"]["damp_used"].is_null());  // none given: RTN-like record
  auto legacy = nlohmann::json::parse(read_file(out + "/quantize_config.json"));
  auto published_legacy = nlohmann::json::parse(read_file(test::shared_file("hf/TheBloke-Genz-70b-GPTQ/quantize_config.json")));
  for (auto it = published_legacy.begin(); it != published_legacy.end(); ++it)
    EXPECT_TRUE(legacy.contains(it.key())) << it.key();
  EXPECT_FALSE(legacy.contains("quant_method"));

  // Re-export over a folder an export wrote replaces it, with --overwrite only.
  EXPECT_TRUE(fs::exists(out + "/" + kExportMarker));
  EXPECT_THROW(export_gptq_checkpoint(source, f.linears, config, out), Error);
  export_gptq_checkpoint(source, f.linears, config, out, /*overwrite=*/true);
  EXPECT_TRUE(fs::exists(out + "/model.safetensors"));
}

std::string export_error(const Checkpoint& source, const Fixture& f, const std::string& out, bool overwrite) {
  try {
    export_gptq_checkpoint(source, f.linears, GptqExportConfig{}, out, overwrite);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Files and their sizes below `dir`, to show that a refused export left everything as it was.
std::map<std::string, uintmax_t> listing(const std::string& dir) {
  std::map<std::string, uintmax_t> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    files[entry.path().string()] = entry.is_regular_file() ? entry.file_size() : 0;
  return files;
}

TEST(GptqExport, NeverReplacesWhatItDidNotWrite) {
  Fixture f;
  auto source = Checkpoint::open(f.source);
  f.quantize_all(source);
  const auto before = listing(f.dir.path());

  // A user's non-empty folder: refused, with or without --overwrite.
  fs::create_directories(f.dir.file("mine"));
  write_file_atomic(f.dir.file("mine/notes.txt"), "keep me");
  EXPECT_THAT(export_error(source, f, f.dir.file("mine"), false), ::testing::HasSubstr("--overwrite"));
  EXPECT_THAT(export_error(source, f, f.dir.file("mine"), true), ::testing::HasSubstr(kExportMarker));
  EXPECT_EQ(read_file(f.dir.file("mine/notes.txt")), "keep me");
  // The source folder itself (also spelled with a trailing "/." or through "..") and around it.
  for (const std::string& out : {f.source, f.source + "/.", f.dir.file("mine/../source")})
    EXPECT_THAT(export_error(source, f, out, true), ::testing::HasSubstr("is the source model folder")) << out;
  EXPECT_THAT(export_error(source, f, f.source + "/quantized", true), ::testing::HasSubstr("inside the source"));
  EXPECT_THAT(export_error(source, f, f.dir.path(), true), ::testing::HasSubstr("contains the source"));
  // A file, and a link to a folder.
  write_file_atomic(f.dir.file("file.bin"), "data");
  EXPECT_THAT(export_error(source, f, f.dir.file("file.bin"), true), ::testing::HasSubstr("not a folder"));
  EXPECT_EQ(read_file(f.dir.file("file.bin")), "data");
  fs::create_directory_symlink(f.dir.file("mine"), f.dir.file("link"));
  EXPECT_THAT(export_error(source, f, f.dir.file("link"), true), ::testing::HasSubstr("symbolic link"));
  fs::remove(f.dir.file("link"));
  fs::remove(f.dir.file("file.bin"));
  fs::remove_all(f.dir.file("mine"));
  EXPECT_EQ(listing(f.dir.path()), before) << "a refused export changed files";

  // Allowed: an empty folder; then that (now marked) folder again with --overwrite.
  fs::create_directories(f.dir.file("empty"));
  EXPECT_EQ(export_error(source, f, f.dir.file("empty"), false), "(no error)");
  EXPECT_TRUE(fs::exists(f.dir.file("empty/model.safetensors")));
  write_file_atomic(f.dir.file("empty/stale.txt"), "from an earlier export");
  EXPECT_EQ(export_error(source, f, f.dir.file("empty"), true), "(no error)");
  EXPECT_FALSE(fs::exists(f.dir.file("empty/stale.txt"))) << "the folder was replaced as a whole";
  for (const auto& entry : fs::directory_iterator(f.dir.path()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

// The reproduction: `quantize M ... --out M` deleted the model's other files.
TEST(QuantizeCommand, OutEqualToTheModelFolderIsRefused) {
  test::ScratchDir dir("quantize_out_source");
  const std::string model = dir.file("model");
  fs::copy(test::shared_file("models/tinystories-656k"), model);
  for (const auto& entry : fs::directory_iterator(model))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  const auto before = listing(model);
  for (const std::string& out : {model, model + "/", dir.file("model/../model")}) {
    for (const char* overwrite : {"", " --overwrite"}) {
      auto run = test::run_quantscale("quantize " + model + " --method rtn --bits 4 --group-size 32" + overwrite +
                                      " --out " + out);
      EXPECT_NE(run.exit_code, 0) << run.output;
      EXPECT_THAT(run.output, ::testing::HasSubstr("is the source model folder")) << run.output;
      EXPECT_EQ(listing(model), before) << "quantize --out " << out << overwrite << " changed the model folder";
    }
  }
  auto run = test::run_quantscale("quantize " + model + " --method rtn --bits 4 --group-size 32 --out " +
                                  dir.file("q"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  run = test::run_quantscale("quantize " + model + " --method rtn --bits 4 --group-size 32 --out " + dir.file("q"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, ::testing::HasSubstr("--overwrite")) << run.output;
  run = test::run_quantscale("quantize " + model + " --method rtn --bits 4 --group-size 32 --overwrite --out " +
                             dir.file("q"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST(GptqExport, SideFilesAreTokenizerTemplateAndCodeFilesOnly) {
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json",
                           "added_tokens.json", "vocab.json", "merges.txt", "chat_template.jinja", "chat_template.json",
                           "generation_config.json", "configuration_phi.py", "qwen.tiktoken", "spiece.model"})
    EXPECT_TRUE(is_side_file(name)) << name;
  for (const char* name : {"config.json", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                           "quantize_config.json", "training_args.bin", "README.md"})
    EXPECT_FALSE(is_side_file(name)) << name;
}

// Everything the run chose is in "meta": the grid search and the damping each linear used.
TEST(GptqExport, MetaRecordsEveryQuantizerOptionAndTheDampingUsed) {
  GptqExportConfig config;
  config.mse = true;
  config.mse_grid = 50;
  config.static_groups = true;
  config.damp_percent = 0.05;
  config.damp_used = {{"model.layers.0.mlp.down_proj", 0.05}, {"model.layers.1.mlp.down_proj", 0.1}};
  config.calib_samples = 8;
  config.seq_len = 128;
  config.seed = 3;
  config.calib_file = "c.txt";
  const auto q = nlohmann::json::parse(gptq_quantization_config_json(config, true));
  const auto& meta = q["meta"];
  EXPECT_EQ(meta["mse"], true);
  EXPECT_EQ(meta["mse_grid"], 50);
  EXPECT_DOUBLE_EQ(meta["mse_norm"].get<double>(), 2.4);
  EXPECT_EQ(meta["static_groups"], true);
  EXPECT_EQ(meta["sym"], true);
  EXPECT_DOUBLE_EQ(meta["damp_percent"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(meta["damp_used"]["model.layers.1.mlp.down_proj"].get<double>(), 0.1);
  EXPECT_EQ(meta["damp_used"].size(), 2u);
  EXPECT_EQ(meta["seed"], 3);
  EXPECT_EQ(meta["calib_file"], "c.txt");
}

TEST(GptqExport, FailureLeavesNoFolderBehind) {
  Fixture f;
  auto source = Checkpoint::open(f.source);
  f.quantize_all(source);
  f.linears.push_back({"model.layers.9.mlp.nonexistent", &f.packed[0]});
  const std::string out = f.dir.file("out");
  EXPECT_THROW(export_gptq_checkpoint(source, f.linears, GptqExportConfig{}, out), Error);
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(f.dir.path()))
    EXPECT_EQ(entry.path().filename().string().find("out.tmp"), std::string::npos) << entry.path();
}

}  // namespace
}  // namespace qs
