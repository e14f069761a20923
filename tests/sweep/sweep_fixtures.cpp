#include "sweep/sweep_fixtures.h"

#include <sqlite3.h>

#include <stdexcept>

#include "test_support.h"

namespace qs::test {

std::string tiny_study(const std::string& output, const std::string& grid) {
  shared_file("models/tinystories-656k/model.safetensors");
  shared_file("calibration/wikitext2_train_5k.txt");
  shared_file("text/wikitext2/wiki.test.raw");
  return "[study]\nname = \"tiny\"\noutput = \"" + output + "\"\n\n" +
         "[[model]]\npath = \"${shared}/models/tinystories-656k\"\n\n" +
         "[quantization]\n" + grid +
         "\ncalib_source = \"${shared}/calibration/wikitext2_train_5k.txt\"\ncalib_seq_len = 64\n\n"
         "[evaluation]\ntasks = [\"arc_easy\", \"piqa\"]\nlimit = 8\n\n"
         "[perplexity]\ntext = \"${shared}/text/wikitext2/wiki.test.raw\"\nctx = 64\nmax_tokens = 512\n\n" +
         kTestRunner;
}

std::vector<std::string> query_rows(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(message + " in: " + sql);
  }
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const unsigned char* text = sqlite3_column_text(stmt, c);
      if (c > 0) row.push_back('|');
      row.append(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

}  // namespace qs::test
