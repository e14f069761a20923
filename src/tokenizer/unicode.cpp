#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <vector>

#include "tokenizer/unicode_tables.h"

namespace qs::unicode {
namespace tables = qs::unicode_tables;

size_t decode_utf8(std::string_view text, size_t pos, char32_t& code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  size_t length;
  char32_t value;
  char32_t minimum;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    const unsigned char continuation = byte(pos + i);
    if ((continuation & 0xC0) != 0x80) return 0;
    value = (value << 6) | (continuation & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  code_point = value;
  return length;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t find_invalid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    char32_t ignored;
    const size_t length = decode_utf8(text, pos, ignored);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

namespace {

// Category of every ASCII character, looked up once (the hot path of pre-tokenization).
const std::array<int8_t, 128>& ascii_categories() {
  static const std::array<int8_t, 128> table = [] {
    std::array<int8_t, 128> t{};
    for (char32_t c = 0; c < 128; ++c) {
      t[c] = -1;
      for (size_t i = 0; i < tables::kCategoryRangeCount && tables::kCategoryRanges[i].first <= c; ++i) {
        if (c <= tables::kCategoryRanges[i].last) t[c] = static_cast<int8_t>(tables::kCategoryRanges[i].category);
      }
    }
    return t;
  }();
  return table;
}

template <typename T, typename Key>
const T* find_sorted(const T* begin, size_t count, char32_t code_point, Key key) {
  const T* end = begin + count;
  const T* it = std::lower_bound(begin, end, code_point, [&](const T& item, char32_t cp) { return key(item) < cp; });
  return (it != end && key(*it) == code_point) ? it : nullptr;
}

}  // namespace

int category_index(char32_t cp) {
  if (cp < 128) return ascii_categories()[cp];
  const auto* begin = tables::kCategoryRanges;
  const auto* end = begin + tables::kCategoryRangeCount;
  const auto* it = std::upper_bound(begin, end, cp, [](char32_t c, const tables::CategoryRange& r) { return c < r.first; });
  if (it == begin) return -1;
  --it;
  return cp <= it->last ? it->category : -1;
}

std::string_view category_name(char32_t cp) {
  const int index = category_index(cp);
  return index < 0 ? std::string_view("Cn") : std::string_view(tables::kCategoryNames[index]);
}

bool is_letter(char32_t cp) {
  const int index = category_index(cp);
  return index >= 0 && tables::kCategoryNames[index][0] == 'L';
}

bool is_number(char32_t cp) {
  const int index = category_index(cp);
  return index >= 0 && tables::kCategoryNames[index][0] == 'N';
}

bool is_white_space(char32_t cp) {
  if (cp < 128) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return std::binary_search(tables::kWhiteSpace, tables::kWhiteSpace + tables::kWhiteSpaceCount, cp);
}

char32_t simple_case_fold(char32_t cp) {
  if (cp < 128) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  const auto* hit = find_sorted(tables::kSimpleCaseFolding, tables::kSimpleCaseFoldingCount, cp,
                                [](const tables::CodePointPair& p) { return p.from; });
  return hit ? hit->to : cp;
}

// ---- NFC (UAX #15) ----
namespace {

constexpr char32_t kHangulS = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr char32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto* hit = find_sorted(tables::kCombiningClasses, tables::kCombiningClassCount, cp,
                                [](const tables::CombiningClass& c) { return c.code_point; });
  return hit ? hit->combining_class : 0;
}

void decompose(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kHangulS && cp < kHangulS + kHangulSCount) {
    const char32_t index = cp - kHangulS;
    out.push_back(kHangulL + index / kHangulNCount);
    out.push_back(kHangulV + (index % kHangulNCount) / kHangulTCount);
    if (index % kHangulTCount != 0) out.push_back(kHangulT + index % kHangulTCount);
    return;
  }
  const auto* hit = cp < 0xC0 ? nullptr
                              : find_sorted(tables::kDecompositions, tables::kDecompositionCount, cp,
                                            [](const tables::Decomposition& d) { return d.code_point; });
  if (hit == nullptr) {
    out.push_back(cp);
    return;
  }
  decompose(hit->first, out);
  if (hit->second != 0) decompose(hit->second, out);
}

// The primary composite of (first, second), or 0 when there is none.
char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kHangulL && first < kHangulL + kHangulLCount && second >= kHangulV && second < kHangulV + kHangulVCount) {
    return kHangulS + ((first - kHangulL) * kHangulVCount + (second - kHangulV)) * kHangulTCount;
  }
  if (first >= kHangulS && first < kHangulS + kHangulSCount && (first - kHangulS) % kHangulTCount == 0 &&
      second > kHangulT && second < kHangulT + kHangulTCount) {
    return first + (second - kHangulT);
  }
  const auto* begin = tables::kCompositions;
  const auto* end = begin + tables::kCompositionCount;
  const auto* it = std::lower_bound(begin, end, std::pair{first, second}, [](const tables::Composition& c, auto key) {
    return c.first < key.first || (c.first == key.first && c.second < key.second);
  });
  return (it != end && it->first == first && it->second == second) ? it->composed : 0;
}

}  // namespace

namespace {

// Canonical decomposition followed by canonical ordering (NFD), as code points.
std::vector<char32_t> canonical_decomposition(std::string_view text) {
  std::vector<char32_t> decomposed;
  decomposed.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    char32_t cp = 0xFFFD;
    const size_t length = decode_utf8(text, pos, cp);
    pos += length == 0 ? 1 : length;
    decompose(cp, decomposed);
  }
  // Canonical ordering: stable sort of every run of non-starters by combining class.
  for (size_t i = 0; i < decomposed.size();) {
    if (combining_class(decomposed[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < decomposed.size() && combining_class(decomposed[j]) != 0) ++j;
    std::stable_sort(decomposed.begin() + static_cast<std::ptrdiff_t>(i), decomposed.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return decomposed;
}

std::string to_utf8(const std::vector<char32_t>& code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t cp : code_points) append_utf8(out, cp);
  return out;
}

// Every code point below U+0300 is NFC/NFD-stable and never combines with a previous one.
bool below_combining_marks(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0xCC) return false;
  }
  return true;
}

}  // namespace

std::string nfd(std::string_view text) {
  if (below_combining_marks(text)) {
    bool ascii = true;
    for (unsigned char c : text) ascii = ascii && c < 0x80;
    if (ascii) return std::string(text);
  }
  return to_utf8(canonical_decomposition(text));
}

std::string nfc(std::string_view text) {
  if (below_combining_marks(text)) return std::string(text);
  const std::vector<char32_t> decomposed = canonical_decomposition(text);
  // Canonical composition: a character combines with the last starter unless blocked.
  std::vector<char32_t> composed;
  composed.reserve(decomposed.size());
  size_t starter = std::string::npos;  // index in `composed` of the last starter
  int last_class = 0;                  // combining class of composed.back()
  for (char32_t cp : decomposed) {
    const int cls = combining_class(cp);
    if (starter != std::string::npos) {
      const bool adjacent = composed.size() == starter + 1;
      const bool unblocked = adjacent || (last_class != 0 && last_class < cls);
      const char32_t combined = unblocked ? compose_pair(composed[starter], cp) : 0;
      if (combined != 0) {
        composed[starter] = combined;
        continue;
      }
    }
    if (cls == 0) starter = composed.size();
    last_class = cls;
    composed.push_back(cp);
  }
  return to_utf8(composed);
}

}  // namespace qs::unicode
