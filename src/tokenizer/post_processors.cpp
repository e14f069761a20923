// Post-processors of Hugging Face tokenizers (processors/*) for single sequences: TemplateProcessing,
// RobertaProcessing, BertProcessing, ByteLevel (offsets only: no change to ids), Sequence.
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/pipeline.h"

namespace qs {
namespace {

using tokenizer_json::Field;

// Special ids before and after the sequence (the "single" template; pairs are not encoded here).
class WrapProcessor final : public PostProcessor {
 public:
  WrapProcessor(std::vector<int32_t> before, std::vector<int32_t> after) : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }

 private:
  std::vector<int32_t> before_, after_;
};

class NoOpProcessor final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&) const override {}
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& step : steps_) step->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> template_processor(const Field& spec) {
  const Field single = spec.at("single");
  const auto special_tokens = spec.find("special_tokens");
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const Field item = single.at(i);
    if (auto sequence = item.find("Sequence")) {
      if (seen_sequence) item.fail("the single template has more than one Sequence");
      seen_sequence = true;
      continue;
    }
    const Field name = item.at("SpecialToken").at("id");
    if (!special_tokens) spec.at("special_tokens");  // throws: missing
    const Field ids = special_tokens->at(name.str()).at("ids");
    for (size_t j = 0; j < ids.size(); ++j) {
      const int64_t id = ids.at(j).integer();
      if (id < 0 || id > INT32_MAX) ids.at(j).fail("id out of range");
      (seen_sequence ? after : before).push_back(static_cast<int32_t>(id));
    }
  }
  if (!seen_sequence) single.fail("the single template has no Sequence");
  return std::make_unique<WrapProcessor>(std::move(before), std::move(after));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Field& spec) {
  const std::string type = spec.at("type").str();
  if (type == "TemplateProcessing") return template_processor(spec);
  if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    // "cls": ["<s>", 0], "sep": ["</s>", 2]; Roberta and Bert differ only for pairs.
    const auto id_of = [&](const Field& pair) {
      const int64_t id = pair.at(1).integer();
      if (id < 0 || id > INT32_MAX) pair.at(1).fail("id out of range");
      return static_cast<int32_t>(id);
    };
    return std::make_unique<WrapProcessor>(std::vector<int32_t>{id_of(spec.at("cls"))},
                                           std::vector<int32_t>{id_of(spec.at("sep"))});
  }
  if (type == "Sequence") {
    const Field list = spec.at("processors");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(make_post_processor(list.at(i)));
    return std::make_unique<SequenceProcessor>(std::move(steps));
  }
  spec.at("type").fail("unsupported post_processor type '" + type +
                       "' (supported: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence)");
}

}  // namespace qs
