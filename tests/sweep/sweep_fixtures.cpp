#include "sweep/sweep_fixtures.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <stdexcept>

#include "test_support.h"

namespace qs::test {

std::string tiny_study(const std::string& output, const std::string& grid, const std::string& evaluation) {
  shared_file("models/tinystories-656k/model.safetensors");
  shared_file("calibration/wikitext2_train_5k.txt");
  shared_file("text/wikitext2/wiki.test.raw");
  return "[study]\nname = \"tiny\"\noutput = \"" + output + "\"\n\n" +
         "[[model]]\npath = \"${shared}/models/tinystories-656k\"\n\n" +
         "[quantization]\n" + grid +
         "\ncalib_source = \"${shared}/calibration/wikitext2_train_5k.txt\"\ncalib_seq_len = 64\n\n" + evaluation;
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

pid_t start_sweep(const std::string& study, int jobs, int output_fd) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = output_fd >= 0 ? output_fd : ::open("/dev/null", O_WRONLY);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::setenv("QS_NO_PROGRESS", "1", 1);
    std::string jobs_text = std::to_string(jobs);
    ::execl(QS_BINARY, QS_BINARY, "--threads", "1", "sweep", study.c_str(), "--jobs", jobs_text.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

void expect_nothing_lost(const std::string& killed_db, const std::string& reference_db, int points) {
  EXPECT_EQ(query_rows(killed_db, "PRAGMA integrity_check").at(0), "ok");
  const std::string n = std::to_string(points);
  EXPECT_EQ(query_rows(killed_db, "SELECT count(*), count(DISTINCT point_id), sum(status = 'ok'), sum(attempts) FROM runs")
                .at(0),
            n + "|" + n + "|" + n + "|" + n);
  for (const char* sql : {"SELECT * FROM configurations ORDER BY point_id",
                          "SELECT * FROM task_metrics ORDER BY point_id, task, metric",
                          "SELECT * FROM law_observations ORDER BY point_id, task",
                          "SELECT * FROM perplexity ORDER BY point_id",
                          "SELECT * FROM quant_summary ORDER BY point_id",
                          "SELECT * FROM quant_layers ORDER BY point_id, layer"}) {
    auto killed = query_rows(killed_db, sql), reference = query_rows(reference_db, sql);
    EXPECT_FALSE(reference.empty()) << sql;
    EXPECT_EQ(killed, reference) << sql;
  }
}

}  // namespace qs::test
