#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/half.h"
#include "test_support.h"

namespace qs {
namespace {

// A raw safetensors image from a header text and a data section of `data_bytes` zero bytes.
std::string raw_file(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The error message of opening `bytes` as a safetensors file.
std::string open_error(const test::ScratchDir& dir, const std::string& bytes) {
  const std::string path = dir.file("bad.safetensors");
  write_raw(path, bytes);
  try {
    SafetensorsFile file(path);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for a bad file";
  return "";
}

TEST(Safetensors, WriteThenReadRoundTripsEveryFloatType) {
  test::ScratchDir dir("safetensors_roundtrip");
  std::vector<float> values{1.0f, -2.5f, 3.25f, 0.0f, 0.125f, -7.0f};
  write_safetensors(dir.file("m.safetensors"),
                    {tensor_from_f32("a.f32", DType::F32, {2, 3}, values),
                     tensor_from_f32("b.bf16", DType::BF16, {3, 2}, values),
                     tensor_from_f32("c.f16", DType::F16, {6}, values)},
                    {{"format", "pt"}});
  SafetensorsFile file(dir.file("m.safetensors"));
  ASSERT_EQ(file.tensors().size(), 3u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  for (const char* name : {"a.f32", "b.bf16", "c.f16"}) {
    const TensorView* tensor = file.find(name);
    ASSERT_NE(tensor, nullptr) << name;
    EXPECT_EQ(tensor->numel(), 6);
    // Every value above is exactly representable in bf16 and fp16.
    EXPECT_EQ(tensor->to_f32(), values) << name;
  }
  EXPECT_EQ(file.find("a.f32")->shape, (std::vector<int64_t>{2, 3}));
  // F32 views are zero-copy: the view points into the mapped file.
  float first;
  std::memcpy(&first, file.find("a.f32")->data, 4);
  EXPECT_EQ(first, 1.0f);
  // The header is padded to 8 bytes, so the data section is aligned.
  uint64_t header_len = 0;
  std::ifstream in(dir.file("m.safetensors"), std::ios::binary);
  in.read(reinterpret_cast<char*>(&header_len), 8);
  EXPECT_EQ(header_len % 8, 0u);
}

TEST(Safetensors, AcceptsAValidHandWrittenFile) {
  test::ScratchDir dir("safetensors_valid");
  write_raw(dir.file("ok.safetensors"),
            raw_file(R"({"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("e":{"dtype":"BF16","shape":[0],"data_offsets":[8,8]}})", 8));
  SafetensorsFile file(dir.file("ok.safetensors"));
  EXPECT_EQ(file.tensors().size(), 2u);
}

TEST(Safetensors, RejectsLyingHeadersNamingFileAndTensor) {
  test::ScratchDir dir("safetensors_bad");
  auto header = [](const std::string& entry) { return "{\"w\":" + entry + "}"; };
  EXPECT_NE(open_error(dir, "abc").find("too small"), std::string::npos);
  // Absurd header length (> 100 MB) and length past the end of the file.
  std::string absurd(16, '\0');
  absurd[5] = 0x7f;
  EXPECT_NE(open_error(dir, absurd).find("100 MB"), std::string::npos);
  EXPECT_NE(open_error(dir, raw_file("{}", 0).substr(0, 9)).find("past the end"), std::string::npos);
  EXPECT_NE(open_error(dir, raw_file("{not json", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(open_error(dir, raw_file("[1,2]", 0)).find("not a JSON object"), std::string::npos);
  // Offsets past the end of the data section.
  std::string past = open_error(dir, raw_file(header(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), 8));
  EXPECT_NE(past.find("'w'"), std::string::npos);
  EXPECT_NE(past.find("past the end"), std::string::npos);
  // dtype x shape disagrees with the byte span (wrong dtype size).
  std::string size = open_error(dir, raw_file(header(R"({"dtype":"F16","shape":[4],"data_offsets":[0,16]})"), 16));
  EXPECT_NE(size.find("8 bytes"), std::string::npos) << size;
  EXPECT_NE(open_error(dir, raw_file(header(R"({"dtype":"Q4","shape":[4],"data_offsets":[0,4]})"), 4)).find("unknown dtype"),
            std::string::npos);
  EXPECT_NE(open_error(dir, raw_file(header(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4)).find("non-negative"),
            std::string::npos);
  EXPECT_NE(open_error(dir, raw_file(header(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})"), 4)).find("begin > end"),
            std::string::npos);
  EXPECT_NE(open_error(dir, raw_file(header(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]})"), 4))
                .find("overflow"),
            std::string::npos);
  EXPECT_NE(open_error(dir, raw_file(header(R"({"dtype":"F32","shape":[1]})"), 4)).find("data_offsets"), std::string::npos);
  // Overlapping tensors.
  std::string overlap = open_error(dir, raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12));
  EXPECT_NE(overlap.find("overlap"), std::string::npos);
  EXPECT_NE(open_error(dir, raw_file(R"({"__metadata__":{"k":1}})", 0)).find("__metadata__"), std::string::npos);
}

TEST(Safetensors, TruncatedFileIsAnError) {
  test::ScratchDir dir("safetensors_truncated");
  write_safetensors(dir.file("m.safetensors"), {tensor_from_f32("w", DType::F32, {64}, std::vector<float>(64, 1.0f))});
  std::ifstream in(dir.file("m.safetensors"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string message = open_error(dir, bytes.substr(0, bytes.size() - 10));
  EXPECT_NE(message.find("'w'"), std::string::npos) << message;
}

}  // namespace
}  // namespace qs
