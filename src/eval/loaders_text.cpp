// Loaders of the non-JSON layouts: MMLU subject CSVs, HellaSwag's 6-line text file (bzip2),
// LogiQA's 8-line blocks, PIQA's label list.
#include <algorithm>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "eval/loaders_internal.h"
#include "eval/row_reader.h"
#include "eval/text_util.h"

namespace qs::loaders {

// RFC 4180 as Python's csv module reads it: quoted fields may hold commas, doubled quotes and
// line breaks, kept byte for byte (some MMLU dev questions hold "\r\n"); records end at LF or CRLF.
std::vector<CsvRecord> parse_csv(const std::string& path, const std::string& data) {
  std::vector<CsvRecord> records;
  CsvRecord current;
  std::string field;
  bool quoted = false, field_started = false;
  int64_t line = 1;
  current.line = 1;
  auto end_field = [&] {
    current.fields.push_back(field);
    field.clear();
    field_started = false;
  };
  for (size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < data.size() && data[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n')) {
      if (c == '\r') ++i;
      end_field();
      records.push_back(std::move(current));
      current = CsvRecord{};
      current.line = ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw Error(path + ":" + std::to_string(current.line), "unterminated quoted field");
  if (field_started || !current.fields.empty()) {
    end_field();
    records.push_back(std::move(current));
  }
  return records;
}

namespace {

std::string subject_of(const std::filesystem::path& file) {
  std::string stem = file.stem().string();
  for (const char* suffix : {"_test", "_dev", "_val"})
    if (stem.size() > std::string(suffix).size() && stem.ends_with(suffix)) return stem.substr(0, stem.size() - std::string(suffix).size());
  return stem;
}

}  // namespace

// MMLU: lm-eval "{{question.strip()}}\nA. {{choices[0]}}\nB. ..\nD. ..\nAnswer:", choices A-D,
// target = answer index; one subtask per subject (group), subjects in name order as lm-eval's
// mmlu group lists them.
std::vector<Doc> load_mmlu_csv(const SplitFiles& files, RowPolicy policy, LoadReport& report) {
  namespace fs = std::filesystem;
  require(fs::is_directory(files.path), files.path, "not a folder of subject CSV files");
  std::vector<fs::path> csvs;
  for (const auto& entry : fs::directory_iterator(files.path))
    if (entry.path().extension() == ".csv") csvs.push_back(entry.path());
  std::sort(csvs.begin(), csvs.end(), [](const fs::path& a, const fs::path& b) { return subject_of(a) < subject_of(b); });
  std::vector<Doc> docs;
  static const char* kLetters[] = {"A", "B", "C", "D"};
  for (const auto& csv : csvs) {
    std::string path = csv.string();
    auto records = parse_csv(path, qs::read_file(path));
    require(!records.empty(), path, "empty file (no header row)");
    const auto& header = records[0].fields;
    require(header.size() == 6 && header[0] == "question" && header[5] == "answer", path + ":1",
            "header must be question,choice0,choice1,choice2,choice3,answer");
    int64_t index = 0;
    for (size_t r = 1; r < records.size(); ++r) {
      const auto& record = records[r];
      if (record.fields.size() == 1 && record.fields[0].empty()) continue;  // blank line
      std::string where = path + ":" + std::to_string(record.line);
      rows::guarded(policy, report, [&] {
        if (record.fields.size() != 6)
          throw Error(where, "expected 6 fields (question, 4 choices, answer), found " + std::to_string(record.fields.size()));
        int64_t answer = -1;
        const std::string& answer_text = record.fields[5];
        if (answer_text.size() == 1 && answer_text[0] >= '0' && answer_text[0] <= '9') answer = answer_text[0] - '0';
        else if (answer_text.size() == 1 && answer_text[0] >= 'A' && answer_text[0] <= 'D') answer = answer_text[0] - 'A';
        else throw Error(where, "field 'answer': \"" + answer_text + "\" is not an index 0-3");
        Doc doc;
        doc.text = text::strip(record.fields[0]);
        for (int i = 0; i < 4; ++i) {
          doc.text += std::string("\n") + kLetters[i] + ". " + record.fields[1 + static_cast<size_t>(i)];
          doc.choices.push_back(kLetters[i]);
        }
        doc.text += "\nAnswer:";
        doc.gold = rows::checked_gold(answer, 4, "answer", where);
        doc.group = subject_of(csv);
        doc.id = index++;
        docs.push_back(std::move(doc));
      });
    }
  }
  return docs;
}

namespace {

// lm-eval's hellaswag/utils.py preprocess(): strip, " [title]" -> ". ", drop every "[...]"
// (re.sub("\\[.*?\\]", "")), "  " -> " ". The shipped text went through most of it, but 13
// items (2 queries, 11 endings) still hold bracketed text (e.g. "[www.kiddio.org]") that
// lm-eval removes.
std::string hellaswag_preprocess(const std::string& raw) {
  std::string s = text::replace_all(text::strip(raw), " [title]", ". ");
  std::string out;
  for (size_t pos = 0; pos < s.size();) {
    const size_t open = s.find('[', pos);
    const size_t close = open == std::string::npos ? std::string::npos : s.find(']', open + 1);
    if (close == std::string::npos) {
      out += s.substr(pos);
      break;
    }
    out += s.substr(pos, open - pos);
    pos = close + 1;
  }
  return text::replace_all(out, "  ", " ");
}

}  // namespace

// HellaSwag (llama.cpp text layout: query, label, 4 endings), passed through lm-eval's
// preprocess() again (a no-op except on the bracketed text above). One difference remains:
// lm-eval builds the query from ctx_a + " " + ctx_b.capitalize(), the file from the raw ctx;
// ctx_b is the unfinished last sentence, so its first letter is upper-cased here when that
// sentence starts in lower case (docs/eval.md).
std::vector<Doc> load_hellaswag_txt(const SplitFiles& files, RowPolicy policy, LoadReport& report) {
  std::string data = files.path.ends_with(".bz2") ? rows::read_bz2(files.path) : rows::read_text(files.path);
  auto lines = text::split(data, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<Doc> docs;
  for (size_t start = 0; start < lines.size(); start += 6) {
    std::string where = files.path + ":" + std::to_string(start + 1);
    rows::guarded(policy, report, [&] {
      if (start + 6 > lines.size()) throw Error(where, "incomplete item: expected 6 lines (query, label, 4 endings)");
      Doc doc;
      doc.text = lines[start];
      size_t colon = doc.text.find(": ");
      size_t sentence = doc.text.rfind(". ");
      bool has_tail = sentence != std::string::npos && (colon == std::string::npos || sentence > colon);
      size_t tail = sentence;
      if (has_tail && tail + 2 < doc.text.size() && doc.text[tail + 2] >= 'a' && doc.text[tail + 2] <= 'z')
        doc.text[tail + 2] = static_cast<char>(doc.text[tail + 2] - 'a' + 'A');
      doc.text = hellaswag_preprocess(doc.text);
      const std::string& label = lines[start + 1];
      if (label.size() != 1 || label[0] < '0' || label[0] > '9') throw Error(files.path + ":" + std::to_string(start + 2), "field 'label': \"" + label + "\" is not an index");
      for (size_t i = 2; i < 6; ++i) doc.choices.push_back(hellaswag_preprocess(lines[start + i]));
      doc.gold = rows::checked_gold(label[0] - '0', doc.choices.size(), "label", files.path + ":" + std::to_string(start + 2));
      doc.id = static_cast<int64_t>(docs.size());
      docs.push_back(std::move(doc));
    });
  }
  return docs;
}

// LogiQA as the EleutherAI/logiqa loader reads it: blocks split at blank lines; label, context,
// question, options ("A." prefix cut); normalize() = replace "." by ". " then strip. lm-eval's
// doc_to_text: "Passage: ..\nQuestion: ..\nChoices:\nA. ..\n..D. ..\nAnswer:", choices = options.
std::vector<Doc> load_logiqa_txt(const SplitFiles& files, RowPolicy policy, LoadReport& report) {
  std::string data = rows::read_text(files.path);
  size_t leading = data.size() - text::strip(data).size() - text::trailing_whitespace_bytes(data);
  std::string body = text::strip(data);
  auto normalize = [](const std::string& s) { return text::strip(text::replace_all(s, ".", ". ")); };
  std::vector<Doc> docs;
  size_t pos = 0;
  int64_t line = 1 + static_cast<int64_t>(std::count(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(leading), '\n'));
  while (pos <= body.size()) {
    size_t end = body.find("\n\n", pos);
    std::string block = body.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    std::string where = files.path + ":" + std::to_string(line);
    rows::guarded(policy, report, [&] {
      auto lines = text::split(block, '\n');
      if (lines.size() < 4) throw Error(where, "block has " + std::to_string(lines.size()) + " lines; expected label, context, question, options");
      Doc doc;
      std::string label = text::strip(lines[0]);
      doc.text = "Passage: " + normalize(lines[1]) + "\nQuestion: " + normalize(lines[2]) + "\nChoices:\n";
      static const char* kLetters[] = {"A", "B", "C", "D"};
      for (size_t i = 3; i < lines.size(); ++i) {
        doc.choices.push_back(normalize(lines[i].size() >= 2 ? lines[i].substr(2) : std::string()));
        if (i - 3 < 4) doc.text += std::string(kLetters[i - 3]) + ". " + doc.choices.back() + "\n";
      }
      doc.text += "Answer:";
      if (label.size() != 1 || label[0] < 'a' || label[0] > 'd') throw Error(where, "field 'label': \"" + label + "\" is not one of a-d");
      doc.gold = rows::checked_gold(label[0] - 'a', doc.choices.size(), "label", where);
      doc.id = static_cast<int64_t>(docs.size());
      docs.push_back(std::move(doc));
    });
    line += static_cast<int64_t>(std::count(block.begin(), block.end(), '\n')) + 2;
    if (end == std::string::npos) break;
    pos = end + 2;
  }
  return docs;
}

std::vector<int64_t> read_labels(const std::string& path) {
  auto lines = text::split(rows::read_text(path), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<int64_t> labels;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string value = text::strip(lines[i]);
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
      throw Error(path + ":" + std::to_string(i + 1), "label \"" + value + "\" is not a non-negative integer");
    labels.push_back(std::stoll(value));
  }
  return labels;
}

}  // namespace qs::loaders
