// The model-level quantizer on the shipped TinyStories model: export -> re-load round trip,
// GPTQ against RTN per layer and in perplexity, and bad requests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/model_folder.h"
#include "io/random_checkpoint.h"
#include "model/perplexity.h"
#include "model/reference_support.h"
#include "quant/calibration.h"
#include "quant/gptq_weight.h"
#include "quant/hessian.h"
#include "quant/gptq_import.h"
#include "quant/quantize_model.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

std::string model_dir() { return test::shared_file("models/tinystories-656k"); }

QuantizeOptions small_options(const std::string& method, int bits, int group_size) {
  QuantizeOptions o;
  o.method = parse_method(method).value();
  o.gptq.grid.bits = bits;
  o.gptq.group_size = group_size;
  o.gptq.grid.sym = false;  // the paper's asymmetric grid: docs/quant.md's figures come from it
  o.calib_file = test::shared_file("calibration/wikitext2_train_5k.txt");
  // Tokenized once per test binary; the sanitizer build (5-10x slower) uses the first 400 kB.
  static const auto tokens = [&] {
    std::string text = read_file(o.calib_file);
    if (std::getenv("QS_SANITIZER_BUILD")) text.resize(std::min<size_t>(text.size(), 400000));
    return std::make_shared<const std::vector<int32_t>>(Tokenizer::load(model_dir())->encode(text, true));
  }();
  o.calib_tokens = tokens;
  o.calib_samples = 32;
  o.seq_len = 256;
  o.seed = 0;
  o.heldout_samples = 4;
  o.show_progress = false;
  return o;
}

// Perplexity on the first 65536 tokens of WikiText-2 test (8192 in the slower sanitizer build).
double wiki_perplexity(const Transformer& model) {
  static const std::vector<int32_t> tokens = [] {
    auto tokenizer = Tokenizer::load(model_dir());
    const size_t keep = std::getenv("QS_SANITIZER_BUILD") ? 8192 : 65536;
    std::string text = read_file(test::shared_file("text/wikitext2/wiki.test.raw"));
    text.resize(std::min<size_t>(text.size(), keep * 8));  // > keep tokens at ~4 bytes per token
    auto all = tokenizer->encode(text, true);
    all.resize(std::min(all.size(), keep));
    return all;
  }();
  return strided_perplexity(model, tokens, 512, 512).ppl();
}

TEST(QuantizeModel, ExportReloadIsBitExactAndGivesTheSamePerplexity) {
  test::ScratchDir dir("quantize_round_trip");
  auto options = small_options("gptq", 4, 32);
  options.gptq.act_order = true;
  options.true_sequential = true;
  QuantizedModel quantized = quantize_in_memory(model_dir(), options);
  export_quantized(quantized, dir.file("out"));

  auto format = ModelFolder::open(dir.file("out")).gptq();
  ASSERT_TRUE(format.has_value());
  EXPECT_EQ(format->bits, 4);
  EXPECT_EQ(format->group_size, 32);
  EXPECT_TRUE(format->desc_act);
  auto reloaded = load_model(dir.file("out"));
  const Transformer& original = *quantized.model;
  int64_t compared = 0;
  for (int64_t layer = 0; layer < original.config().n_layers; ++layer)
    for (const auto& group : original.linear_groups())
      for (const auto& name : group) {
        const WeightMatrix& a = original.linear(layer, name);
        const WeightMatrix& b = reloaded->linear(layer, name);
        ASSERT_NE(dynamic_cast<const GptqWeight*>(&b), nullptr) << name;
        ASSERT_EQ(a.out_features(), b.out_features());
        std::vector<float> wa(a.out_features() * a.in_features()), wb(wa.size());
        a.rows_to_f32(0, a.out_features(), wa.data());
        b.rows_to_f32(0, b.out_features(), wb.data());
        EXPECT_EQ(0, std::memcmp(wa.data(), wb.data(), wa.size() * sizeof(float))) << layer << " " << name;
        EXPECT_EQ(b.format(), "GPTQ 4-bit g32");
        ++compared;
      }
  EXPECT_EQ(compared, 14);
  const double ppl_memory = wiki_perplexity(original), ppl_reloaded = wiki_perplexity(*reloaded);
  EXPECT_EQ(ppl_memory, ppl_reloaded);
  std::printf("[ round trip ] ppl in memory %.6f, reloaded %.6f; bits/weight %.4f\n", ppl_memory, ppl_reloaded,
              quantized.report.bits_per_weight);
  // 4 bits + (16-bit scale + 4-bit zero) / 32 on every quantized linear.
  EXPECT_NEAR(quantized.report.bits_per_weight, 4 + 20.0 / 32, 1e-9);
}

TEST(QuantizeModel, GptqBeatsRtnPerLayerAndInPerplexity) {
  const double ppl_fp = wiki_perplexity(*load_model(model_dir()));
  std::map<std::string, double> ppl;
  for (int bits : {3, 4, 8}) {
    for (const std::string method : {"gptq", "rtn"}) {
      if (bits == 8 && method == "rtn") continue;
      auto quantized = quantize_in_memory(model_dir(), small_options(method, bits, 32));
      const std::string key = method + "-" + std::to_string(bits);
      ppl[key] = wiki_perplexity(*quantized.model);
      if (method != "gptq" || bits == 8) continue;
      int64_t better = 0, layers = 0;
      for (const auto& layer : quantized.report.layers) {
        ASSERT_GE(layer.output_error, 0) << layer.name;
        ++layers;
        better += layer.output_error < layer.rtn_output_error;
        std::printf("[ %d-bit ] %-34s gptq %.4e rtn %.4e (relative to ||WX||^2: %.4f vs %.4f)\n", bits,
                    layer.name.c_str(), layer.output_error, layer.rtn_output_error,
                    layer.output_error / layer.reference_energy, layer.rtn_output_error / layer.reference_energy);
      }
      EXPECT_GE(static_cast<double>(better), 0.95 * static_cast<double>(layers)) << bits << " bits: " << better << " of " << layers;
    }
  }
  std::printf("[ perplexity ] fp %.4f gptq-8 %.4f gptq-4 %.4f rtn-4 %.4f gptq-3 %.4f rtn-3 %.4f\n", ppl_fp, ppl["gptq-8"],
              ppl["gptq-4"], ppl["rtn-4"], ppl["gptq-3"], ppl["rtn-3"]);
  EXPECT_LE(std::fabs(ppl["gptq-8"] - ppl_fp), 0.01 * ppl_fp);
  EXPECT_LT(ppl["gptq-8"], ppl["gptq-4"]);
  EXPECT_LT(ppl["gptq-4"], ppl["rtn-4"]);
  EXPECT_LT(ppl["gptq-3"], ppl["rtn-3"]);
}

// The layer-sequential algorithm as it was before the staged block, from public pieces: each
// group re-runs the whole block (forward_block, an observer accumulating every linear's own
// Hessian) through the groups quantized so far, each linear factors its own H (gptq_quantize),
// and a last pass with the quantized block gives the next block's input.
std::map<std::string, GptqTensors> rerun_reference(const std::string& dir, const QuantizeOptions& o) {
  struct Collector : LinearObserver {
    std::map<std::string, HessianAccumulator> hessians;
    void observe(int64_t, std::string_view name, const float* x, int64_t rows, int64_t cols) override {
      hessians.try_emplace(std::string(name), cols).first->second.add(x, rows);
    }
  };
  auto model = Transformer::load(dir);
  const ModelConfig& c = model->config();
  const auto windows = sample_windows(*o.calib_tokens, o.calib_samples, o.seq_len, o.seed, c.max_position, 0, "calib");
  std::vector<std::pair<SequenceBatch, std::vector<float>>> batches;
  const size_t per_batch = static_cast<size_t>(std::max<int64_t>(1, 2048 / o.seq_len));
  for (size_t first = 0; first < windows.calibration.size(); first += per_batch) {
    std::vector<int32_t> tokens;
    SequenceBatch layout;
    for (size_t w = first; w < std::min(windows.calibration.size(), first + per_batch); ++w) {
      tokens.insert(tokens.end(), windows.calibration[w].begin(), windows.calibration[w].end());
      layout.push_back({o.seq_len, nullptr, false});
    }
    batches.emplace_back(layout, model->embed(tokens));
  }
  GptqOptions gptq = o.gptq;
  gptq.grid.min_zero = 1;
  std::vector<std::vector<std::string>> plan = model->linear_groups();
  if (!o.true_sequential) plan = {{}};
  if (!o.true_sequential)
    for (const auto& group : model->linear_groups()) plan[0].insert(plan[0].end(), group.begin(), group.end());
  std::map<std::string, GptqTensors> result;
  for (int64_t layer = 0; layer < c.n_layers; ++layer) {
    for (const auto& group : plan) {
      Collector collector;
      for (const auto& [layout, hidden] : batches) {
        std::vector<float> copy = hidden;
        model->forward_block(layer, copy, layout, &collector);
      }
      for (const auto& name : group) {
        const std::string full = c.layer_prefix(layer) + name;
        const WeightMatrix& current = model->linear(layer, name);
        std::vector<float> w(current.out_features() * current.in_features());
        current.rows_to_f32(0, current.out_features(), w.data());
        auto q = gptq_quantize(w.data(), current.out_features(), current.in_features(),
                               collector.hessians.at(name).hessian(full), gptq, full);
        result[full] = pack_gptq(q, o.gptq.group_size, full);
        model->replace_linear(layer, name, std::make_unique<GptqWeight>(result[full], full));
      }
    }
    for (auto& [layout, hidden] : batches) model->forward_block(layer, hidden, layout);
  }
  if (o.quantize_lm_head) {  // from the final-normed output of the quantized blocks
    const std::string head = c.lm_head_prefix();
    HessianAccumulator hessian(c.d_model);
    for (auto& [layout, hidden] : batches) {
      model->finish(hidden, layout);
      hessian.add(hidden.data(), total_tokens(layout));
    }
    std::vector<float> w(static_cast<size_t>(c.vocab_size * c.d_model));
    model->lm_head().rows_to_f32(0, c.vocab_size, w.data());
    auto q = gptq_quantize(w.data(), c.vocab_size, c.d_model, hessian.hessian(head), gptq, head);
    result[head] = pack_gptq(q, o.gptq.group_size, head);
  }
  return result;
}

// The staged one-pass quantizer (shared factorization per group, held-out windows carried
// alongside) gives bit for bit the codes, scales and zeros of the re-run reference, for every
// architecture, with and without true-sequential; with --lm-head (in the reference-order runs)
// the output projection's too, from the final-normed output of the quantized blocks.
TEST(QuantizeModel, StagedPassEqualsRerunningTheBlockForEveryArchitecture) {
  for (const char* arch : {"LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GPTNeoXForCausalLM"}) {
    test::ScratchDir dir(std::string("staged_quantize_") + arch);
    write_random_checkpoint(dir.path(), tiny_config_json(arch), {.dtype = DType::BF16, .seed = 4});
    for (bool true_sequential : {true, false}) {
      QuantizeOptions o;
      o.gptq.grid.bits = 3;
      o.gptq.group_size = 32;
      o.gptq.act_order = true;
      o.true_sequential = true_sequential;
      o.quantize_lm_head = !true_sequential;
      o.calib_file = "random tokens";
      o.calib_tokens = std::make_shared<const std::vector<int32_t>>(test::random_tokens(20000, 256, 11));
      o.calib_samples = 20;
      o.seq_len = 128;  // 16 windows per batch: two batches
      o.heldout_samples = 2;
      o.show_progress = false;
      const auto reference = rerun_reference(dir.path(), o);
      const QuantizedModel staged = quantize_in_memory(dir.path(), o);
      ASSERT_EQ(staged.report.layers.size(), reference.size());
      for (const auto& entry : staged.report.layers) EXPECT_GE(entry.output_error, 0) << entry.name;
      const Transformer& model = *staged.model;
      for (int64_t layer = 0; layer < model.config().n_layers; ++layer)
        for (const auto& group : model.linear_groups())
          for (const auto& name : group) {
            const std::string full = model.config().layer_prefix(layer) + name;
            const std::string where = std::string(arch) + (true_sequential ? " true-sequential " : " ") + full;
            const auto& ours = dynamic_cast<const GptqWeight&>(model.linear(layer, name)).tensors();
            const GptqTensors& expected = reference.at(full);
            EXPECT_EQ(ours.qweight, expected.qweight) << where;
            EXPECT_EQ(ours.qzeros, expected.qzeros) << where;
            EXPECT_EQ(ours.scales, expected.scales) << where;
            EXPECT_EQ(ours.g_idx, expected.g_idx) << where;
          }
      if (o.quantize_lm_head) {
        const std::string head = model.config().lm_head_prefix();
        const auto* ours = dynamic_cast<const GptqWeight*>(&model.lm_head());
        ASSERT_NE(ours, nullptr) << arch << " " << head;
        const GptqTensors& expected = reference.at(head);
        EXPECT_EQ(ours->tensors().qweight, expected.qweight) << arch << " " << head;
        EXPECT_EQ(ours->tensors().qzeros, expected.qzeros) << arch << " " << head;
        EXPECT_EQ(ours->tensors().scales, expected.scales) << arch << " " << head;
        EXPECT_EQ(ours->tensors().g_idx, expected.g_idx) << arch << " " << head;
      }
    }
  }
}

// --true-sequential over the activation budget (the MLP's d_ff-wide inputs recomputed per batch
// instead of held for every token) gives the codes, scales and zeros of the run that holds them,
// bit for bit, for every architecture, the lm_head included.
TEST(QuantizeModel, StreamedMlpInputsGiveTheHeldInputsCodes) {
  for (const char* arch : {"LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "GPTNeoXForCausalLM"}) {
    test::ScratchDir dir(std::string("streamed_mlp_") + arch);
    write_random_checkpoint(dir.path(), tiny_config_json(arch), {.dtype = DType::BF16, .seed = 6});
    QuantizeOptions o;
    o.gptq.grid.bits = 4;
    o.gptq.group_size = 32;
    o.true_sequential = true;
    o.quantize_lm_head = true;
    o.calib_file = "random tokens";
    o.calib_tokens = std::make_shared<const std::vector<int32_t>>(test::random_tokens(20000, 256, 12));
    o.calib_samples = 20;
    o.seq_len = 128;  // two batches
    o.heldout_samples = 2;
    o.show_progress = false;
    const QuantizedModel held = quantize_in_memory(dir.path(), o);
    o.activation_budget_bytes = 0;
    const QuantizedModel streamed = quantize_in_memory(dir.path(), o);
    EXPECT_FALSE(held.report.streamed_mlp_inputs) << arch;
    EXPECT_TRUE(streamed.report.streamed_mlp_inputs) << arch;
    const Transformer& a = *held.model;
    const Transformer& b = *streamed.model;
    const auto same = [&](const WeightMatrix& x, const WeightMatrix& y, const std::string& where) {
      const GptqTensors& p = dynamic_cast<const GptqWeight&>(x).tensors();
      const GptqTensors& q = dynamic_cast<const GptqWeight&>(y).tensors();
      EXPECT_EQ(p.qweight, q.qweight) << where;
      EXPECT_EQ(p.qzeros, q.qzeros) << where;
      EXPECT_EQ(p.scales, q.scales) << where;
    };
    for (int64_t layer = 0; layer < a.config().n_layers; ++layer)
      for (const auto& group : a.linear_groups())
        for (const auto& name : group)
          same(a.linear(layer, name), b.linear(layer, name), std::string(arch) + " " + a.config().layer_prefix(layer) + name);
    same(a.lm_head(), b.lm_head(), std::string(arch) + " lm_head");
    ASSERT_EQ(held.report.layers.size(), streamed.report.layers.size());
    for (size_t l = 0; l < held.report.layers.size(); ++l)  // the held-out windows travel the same way
      EXPECT_EQ(held.report.layers[l].output_error, streamed.report.layers[l].output_error) << arch << " " << l;
  }
}

// --lm-head on the shipped (tied) model and on a random untied GPT-NeoX one: the export stores
// the packed lm_head beside the dense embedding (tie_word_embeddings false, "lm_head": true),
// the parameter count is the dense model's, the reload holds the same weights and gives the
// same perplexity / logits bit for bit, and GPTQ beats RTN on the lm_head's held-out error.
TEST(QuantizeModel, QuantizedLmHeadExportsUntiedAndReloadsBitExact) {
  test::ScratchDir dir("quantize_lm_head");
  const std::string neox = dir.file("neox");
  write_random_checkpoint(neox, tiny_config_json("GPTNeoXForCausalLM"), {.dtype = DType::BF16, .seed = 5});
  for (const std::string& source : {model_dir(), neox}) {
    auto options = small_options("gptq", 4, 32);
    options.gptq.act_order = true;
    options.quantize_lm_head = true;
    if (source == neox)  // the tiny config's 256-token vocabulary
      options.calib_tokens = std::make_shared<const std::vector<int32_t>>(test::random_tokens(20000, 256, 11));
    QuantizedModel quantized = quantize_in_memory(source, options);
    const Transformer& original = *quantized.model;
    const ModelConfig& config = original.config();
    const std::string head = config.lm_head_prefix(), out = dir.file(head + "-out");
    ASSERT_EQ(quantized.report.layers.back().name, head);
    EXPECT_LT(quantized.report.layers.back().output_error, quantized.report.layers.back().rtn_output_error) << source;
    ASSERT_NE(dynamic_cast<const GptqWeight*>(&original.lm_head()), nullptr);
    export_quantized(quantized, out);

    const ModelFolder dense = ModelFolder::open(source), packed = ModelFolder::open(out);
    EXPECT_FALSE(packed.config().tie_word_embeddings) << source;
    const auto q = nlohmann::json::parse(read_file(out + "/quantize_config.json"));
    EXPECT_EQ(q.at("lm_head"), true);
    EXPECT_EQ(packed.parameters().non_embedding, dense.parameters().non_embedding) << source;
    const TensorView& embed_before = dense.checkpoint().embedding();
    const TensorView& embed_after = packed.checkpoint().embedding();
    ASSERT_EQ(embed_before.n_bytes, embed_after.n_bytes);
    EXPECT_EQ(0, std::memcmp(embed_before.data, embed_after.data, embed_before.n_bytes)) << "embedding kept dense";
    EXPECT_NE(packed.checkpoint().find(head + ".qweight"), nullptr);
    EXPECT_EQ(packed.checkpoint().find(head + ".weight"), nullptr);

    auto reloaded = load_model(out);
    ASSERT_NE(dynamic_cast<const GptqWeight*>(&reloaded->lm_head()), nullptr);
    std::vector<float> wa(static_cast<size_t>(config.vocab_size * config.d_model)), wb(wa.size());
    original.lm_head().rows_to_f32(0, config.vocab_size, wa.data());
    reloaded->lm_head().rows_to_f32(0, config.vocab_size, wb.data());
    EXPECT_EQ(0, std::memcmp(wa.data(), wb.data(), wa.size() * sizeof(float)));
    const std::vector<int32_t> tokens = test::random_tokens(64, config.vocab_size, 9);
    const SequenceBatch batch{{64}};
    std::vector<float> la(static_cast<size_t>(64 * config.vocab_size)), lb(la.size());
    original.logits(original.forward(tokens, batch).data(), 64, la.data());
    reloaded->logits(reloaded->forward(tokens, batch).data(), 64, lb.data());
    EXPECT_EQ(0, std::memcmp(la.data(), lb.data(), la.size() * sizeof(float))) << source;
  }
}

TEST(QuantizeModel, BadRequestsAreClearErrors) {
  test::ScratchDir dir("quantize_bad");
  auto expect_error = [&](QuantizeOptions o, const std::string& fragment) {
    try {
      quantize_in_memory(model_dir(), o);
      ADD_FAILURE() << "expected an error containing '" << fragment << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  auto o = small_options("gptq", 4, 32);
  o.method = QuantMethod::Fp;
  expect_error(o, "method fp is the unquantized model");
  o = small_options("gptq", 5, 32);
  expect_error(o, "unsupported bits");
  o = small_options("gptq", 4, 32);
  o.calib_samples = 0;
  expect_error(o, "--calib-samples");
  o = small_options("gptq", 4, 32);
  o.seq_len = 1024;  // TinyStories' context is 512
  expect_error(o, "context window");
  o = small_options("gptq", 4, 32);
  write_file_atomic(dir.file("short.txt"), "Once upon a time.");
  o.calib_file = dir.file("short.txt");
  o.calib_tokens.reset();
  expect_error(o, "too little calibration text");
  o = small_options("gptq", 4, 32);
  o.calib_file.clear();
  expect_error(o, "--calib");
  o = small_options("gptq", 4, 0);
  expect_error(o, "--group-size");
  // Transformers, optimum and AutoGPTQ load a checkpoint only with 0 < damp_percent < 1.
  for (double damp : {0.0, 1.0, -0.1}) {
    o = small_options("gptq", 4, 32);
    o.gptq.damp = damp;
    expect_error(o, "--damp must be strictly between 0 and 1");
  }
}

// Shapes vLLM's gptq kernel refuses (in_features % G != 0): a warning, an error with strict_vllm.
TEST(QuantizeModel, StrictVllmRefusesShapesVllmCannotLoad) {
  test::ScratchDir dir("quantize_vllm");
  TinyShape shape;
  shape.d_ff = 96;  // down_proj in_features 96: a multiple of 32, not of the group size 64
  write_random_checkpoint(dir.file("m"), tiny_config_json("LlamaForCausalLM", shape));
  QuantizeOptions o;
  o.method = QuantMethod::Rtn;
  o.gptq.group_size = 64;
  o.heldout_samples = 0;
  o.show_progress = false;
  EXPECT_NO_THROW(quantize_in_memory(dir.file("m"), o));
  o.strict_vllm = true;
  try {
    quantize_in_memory(dir.file("m"), o);
    ADD_FAILURE() << "expected a --strict-vllm error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mlp.down_proj [64 x 96]"), std::string::npos) << e.what();
  }
  o.gptq.group_size = 32;  // divides every in_features: loads
  EXPECT_NO_THROW(quantize_in_memory(dir.file("m"), o));
}

TEST(QuantizeCommand, WritesACheckpointThatLoadsAndReportsErrorsCleanly) {
  test::ScratchDir dir("quantize_cli");
  const std::string calib = test::shared_file("calibration/wikitext2_train_5k.txt");
  auto run = test::run_quantscale("quantize " + model_dir() + " --method rtn --bits 3 --group-size 64 --calib " + calib +
                                  " --calib-samples 4 --seq-len 128 --out " + dir.file("rtn3") + " --report " +
                                  dir.file("report.json"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("bits per weight"), std::string::npos) << run.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("rtn3/model.safetensors")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("report.json")));
  EXPECT_EQ(load_model(dir.file("rtn3"))->linear(0, "mlp.down_proj").format(), "GPTQ 3-bit g64");
  // Symmetric by default; --asym opts out; --sym is still accepted.
  auto quantization = [&](const std::string& folder) {
    return nlohmann::json::parse(read_file(dir.file(folder + "/config.json")))["quantization_config"];
  };
  EXPECT_EQ(quantization("rtn3")["sym"], true);
  run = test::run_quantscale("quantize " + model_dir() + " --method rtn --bits 4 --asym --heldout-samples 0 --out " +
                             dir.file("asym"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(quantization("asym")["sym"], false);
  EXPECT_EQ(quantization("asym")["meta"]["sym"], false);
  run = test::run_quantscale("quantize " + model_dir() + " --method rtn --bits 4 --sym --heldout-samples 0 --out " +
                             dir.file("sym"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(quantization("sym")["sym"], true);
  run = test::run_quantscale("quantize " + model_dir() + " --method rtn --sym --asym --out " + dir.file("x"));
  EXPECT_NE(run.exit_code, 0);
  run = test::run_quantscale("quantize " + model_dir() + " --method gptq --damp 0 --calib " + calib + " --out " + dir.file("x"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("--damp must be strictly between 0 and 1"), std::string::npos) << run.output;
  run = test::run_quantscale("quantize " + model_dir() + " --method gptq --bits 6 --calib " + calib + " --out " + dir.file("x"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("unsupported bits 6"), std::string::npos) << run.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  run = test::run_quantscale("quantize " + model_dir() + " --method foo --out " + dir.file("x"));
  EXPECT_NE(run.exit_code, 0);
}

// The checkpoint records how it was made (quantization_config.meta) and `eval` results carry it.
TEST(QuantizeCommand, CalibrationFactsReachTheCheckpointAndEvalResults) {
  test::ScratchDir dir("quantize_meta");
  const std::string calib = test::shared_file("calibration/wikitext2_train_5k.txt");
  auto run = test::run_quantscale("quantize " + model_dir() + " --method gptq --bits 4 --group-size 32 --calib " + calib +
                                  " --calib-samples 5 --seq-len 64 --seed 7 --out " + dir.file("gptq4"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto config = nlohmann::json::parse(read_file(dir.file("gptq4/config.json")));
  const auto& meta = config["quantization_config"]["meta"];
  EXPECT_EQ(meta["method"], "gptq");
  EXPECT_EQ(meta["calib_samples"], 5);
  EXPECT_EQ(meta["seq_len"], 64);
  EXPECT_EQ(meta["seed"], 7);
  EXPECT_EQ(meta["calib_file"], "wikitext2_train_5k.txt");
  // The damping every linear's Cholesky succeeded with: 2 layers x 7 linears, at least the request.
  ASSERT_TRUE(meta["damp_used"].is_object());
  EXPECT_EQ(meta["damp_used"].size(), 14u);
  for (const auto& [linear, damp] : meta["damp_used"].items()) EXPECT_GE(damp.get<double>(), 0.01) << linear;
  EXPECT_EQ(config["torch_dtype"], "float16");
  ASSERT_TRUE(meta["quantizer"].is_array());
  EXPECT_EQ(meta["quantizer"][0].get<std::string>().rfind("quantscale:", 0), 0u);
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.file("gptq4/quantize_config.json")))["meta"], meta);

  run = test::run_quantscale("eval " + dir.file("gptq4") + " --tasks copa --limit 2 --out " + dir.file("results.json"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto results = nlohmann::json::parse(read_file(dir.file("results.json")));
  const auto& q = results["config"]["model"]["quantization"];
  EXPECT_EQ(q["method"], "gptq");
  EXPECT_EQ(q["bits"], 4);
  EXPECT_EQ(q["group_size"], 32);
  EXPECT_EQ(q["calib_samples"], 5);
  EXPECT_EQ(q["seq_len"], 64);
}

}  // namespace
}  // namespace qs
