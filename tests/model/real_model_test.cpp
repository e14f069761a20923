// The shipped TinyStories model (bf16 and its fp32 copy) on real text, tokenized by our
// tokenizer, against tests/reference/torch_forward.py: logits max|Δ|/max|logit| <= 1e-3 and
// perplexity relative difference <= 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "model/perplexity.h"
#include "model/reference_support.h"
#include "model/transformer.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace qs {
namespace {

std::vector<int32_t> wikitext_tokens(const std::string& model_dir, size_t n_bytes) {
  const std::string text = read_file(test::shared_file("text/wikitext2/wiki.test.raw")).substr(0, n_bytes);
  return Tokenizer::load(model_dir)->encode(text, true);
}

TEST(RealModel, TinyStoriesLogitsMatchReferenceOnRealText) {
  std::vector<float> previous;
  for (const char* name : {"models/tinystories-656k", "models/tinystories-656k-fp32"}) {
    const std::string dir = test::shared_file(name);
    test::ScratchDir scratch("real_logits");
    auto model = Transformer::load(dir);
    std::vector<int32_t> tokens = wikitext_tokens(dir, 3000);
    tokens.resize(std::min<size_t>(tokens.size(), 400));
    ASSERT_GT(tokens.size(), 300u);
    const std::vector<std::vector<int32_t>> sequences{tokens, std::vector<int32_t>(tokens.begin() + 100, tokens.begin() + 160)};
    const std::vector<float> ours = test::batch_logits(*model, sequences);
    const double error = test::relative_max_error(ours, test::reference_logits(dir, sequences, scratch.path()));
    EXPECT_LE(error, 1e-3) << name;
    std::printf("[real] %s: %zu tokens, max|dlogit|/max|logit| = %.3g\n", name, tokens.size(), error);
    // The fp32 copy holds the bf16 values exactly (and its tied matrix only as lm_head.weight).
    if (!previous.empty()) {
      EXPECT_EQ(previous, ours);
    }
    previous = ours;
  }
}

TEST(RealModel, TinyStoriesPerplexityMatchesReference) {
  for (const char* name : {"models/tinystories-656k", "models/tinystories-656k-fp32"}) {
    const std::string dir = test::shared_file(name);
    test::ScratchDir scratch("real_ppl");
    auto model = Transformer::load(dir);
    std::vector<int32_t> tokens = wikitext_tokens(dir, 12000);
    tokens.resize(std::min<size_t>(tokens.size(), 2000));
    write_file_atomic(scratch.file("ids.json"), nlohmann::json(tokens).dump());
    const PerplexityResult ours = strided_perplexity(*model, tokens, 512, 256);
    test::CommandResult ref = test::run_reference("torch_forward.py", dir + " ppl " + scratch.file("ids.json") + " 512 256");
    ASSERT_EQ(ref.exit_code, 0) << ref.output;
    const auto expected = nlohmann::json::parse(ref.output.substr(ref.output.find('{')));
    const double relative = std::abs(ours.ppl() / expected["ppl"].get<double>() - 1.0);
    EXPECT_EQ(ours.n_scored, expected["n_scored"].get<int64_t>());
    EXPECT_LE(relative, 1e-4) << name;
    std::printf("[real] %s: ppl %.6f vs reference %.6f over %lld tokens (relative %.2g)\n", name, ours.ppl(),
                expected["ppl"].get<double>(), static_cast<long long>(ours.n_scored), relative);
  }
}

}  // namespace
}  // namespace qs
