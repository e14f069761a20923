// The results store: schema, idempotent recording, newer-schema refusal, rollback on a full disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <numeric>
#include <thread>

#include "core/error.h"
#include "sweep/point_runner.h"
#include "sweep/store.h"
#include "sweep/sweep_fixtures.h"
#include "test_support.h"

namespace qs {
namespace {

using ::testing::HasSubstr;

std::vector<SweepPoint> tiny_grid(Study& study) {
  study = parse_study(test::tiny_study("out", "methods = [\"gptq\", \"rtn\"]\nbits = [3, 4]\ngroup_sizes = [32]\n"
                                              "calib_samples = [8]\n"),
                      "study.toml");
  study.synthetic_seconds = 0;
  return expand_grid(study);
}

PointResult synthetic_result(const Study& study, const SweepPoint& point) {
  auto runner = make_point_runner(study);
  return run_point(*runner, study, point, PointContext{});
}

int64_t count(const std::string& db, const std::string& table) {
  return std::stoll(test::query_rows(db, "SELECT count(*) FROM " + table).at(0));
}

TEST(SweepStore, RecordsEachPointOnceAndFillsTheLawView) {
  test::ScratchDir dir("store_once");
  Study study;
  std::vector<SweepPoint> grid = tiny_grid(study);
  std::string db = dir.file("results.db");
  {
    Store store(db);
    for (const auto& point : grid) EXPECT_TRUE(store.record(synthetic_result(study, point)));
    // Merging the same results again changes nothing.
    for (const auto& point : grid) EXPECT_FALSE(store.record(synthetic_result(study, point)));
    EXPECT_EQ(store.finished_points().size(), grid.size());
  }
  EXPECT_EQ(count(db, "runs"), static_cast<int64_t>(grid.size()));
  EXPECT_EQ(count(db, "task_metrics"), static_cast<int64_t>(grid.size() * 2));
  EXPECT_EQ(count(db, "law_observations"), static_cast<int64_t>(grid.size() * 2));
  // The contract columns, in order, and ppl_fp equal to the fp point's own ppl.
  auto columns = test::query_rows(db, "SELECT group_concat(name, ',') FROM pragma_table_info('law_observations')");
  EXPECT_EQ(columns.at(0),
            "point_id,model,architecture,n_params,n_params_nonembed,method,bits,group_size,calib_samples,seed,task,"
            "stratum,metric,acc,acc_stderr,acc_rand,ppl,ppl_fp,n_docs");
  EXPECT_EQ(test::query_rows(db, "SELECT count(*) FROM law_observations WHERE n_docs IS NULL OR n_docs <= 0").at(0), "0");
  auto fp = test::query_rows(db, "SELECT DISTINCT ppl, ppl_fp FROM law_observations WHERE method = 'fp'");
  ASSERT_EQ(fp.size(), 1u);
  EXPECT_EQ(fp[0].substr(0, fp[0].find('|')), fp[0].substr(fp[0].find('|') + 1));
  auto fp_ref = test::query_rows(db, "SELECT count(DISTINCT ppl_fp) FROM law_observations");
  EXPECT_EQ(fp_ref.at(0), "1");
  EXPECT_EQ(test::query_rows(db, "SELECT count(*) FROM law_observations WHERE n_params <> 656000").at(0), "0");
}

// A store written by a quantscale of schema version 1 (law_observations without n_docs) is
// migrated when opened: the view gains the document counts, the version becomes 2, and the
// results are untouched.
TEST(SweepStore, VersionOneStoreIsMigratedAndGainsDocumentCounts) {
  test::ScratchDir dir("store_migrate");
  Study study;
  std::vector<SweepPoint> grid = tiny_grid(study);
  const std::string db = dir.file("results.db");
  {
    Store store(db);
    for (const auto& point : grid) store.record(synthetic_result(study, point));
  }
  const std::string v1_view =
      "DROP VIEW law_observations; CREATE VIEW law_observations AS SELECT c.point_id AS point_id, m.name AS model, "
      "m.architecture AS architecture, m.n_params AS n_params, m.n_params_nonembed AS n_params_nonembed, c.method AS "
      "method, c.bits AS bits, c.group_size AS group_size, c.calib_samples AS calib_samples, c.seed AS seed, t.task AS "
      "task, t.stratum AS stratum, t.metric AS metric, t.value AS acc, t.stderr AS acc_stderr, t.acc_rand AS acc_rand, "
      "NULL AS ppl, NULL AS ppl_fp FROM configurations c JOIN runs r ON r.point_id = c.point_id AND r.status = 'ok' "
      "JOIN models m ON m.model_id = c.model_id JOIN task_metrics t ON t.point_id = c.point_id AND t.is_primary = 1; "
      "DELETE FROM schema_version; INSERT INTO schema_version(version) VALUES(1);";
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, v1_view.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(handle);
  sqlite3_close(handle);
  const int64_t rows_before = count(db, "law_observations");
  { Store reopened(db); }
  EXPECT_EQ(test::query_rows(db, "SELECT max(version) FROM schema_version").at(0), "2");
  EXPECT_EQ(count(db, "law_observations"), rows_before);
  EXPECT_EQ(test::query_rows(db, "SELECT count(*) FROM law_observations o JOIN task_metrics t USING(point_id, task, "
                                 "metric) WHERE o.n_docs IS NOT t.n_samples OR o.n_docs IS NULL")
                .at(0),
            "0");
}

// PointStatus crosses the result file as "ok" / "failed"; any other word is an error naming
// the file, never read as a default status.
TEST(SweepStore, ResultFileStatusRoundTripsAndAnUnknownStatusIsAnError) {
  Study study;
  std::vector<SweepPoint> grid = tiny_grid(study);
  PointResult failed = synthetic_result(study, grid[1]);
  failed.status = PointStatus::Failed;
  const std::string text = to_json(failed);
  EXPECT_NE(text.find("\"status\": \"failed\""), std::string::npos) << text;
  EXPECT_EQ(point_result_from_json(text, "a.json").status, PointStatus::Failed);
  std::string odd = text;
  odd.replace(odd.find("\"failed\""), 8, "\"fine\"");
  const std::string message = test::error_of([&] { point_result_from_json(odd, "odd.json"); });
  EXPECT_NE(message.find("odd.json"), std::string::npos) << message;
  EXPECT_NE(message.find("fine"), std::string::npos) << message;
}

TEST(SweepStore, FailedAttemptIsReplacedByASuccess) {
  test::ScratchDir dir("store_retry");
  Study study;
  std::vector<SweepPoint> grid = tiny_grid(study);
  Store store(dir.file("results.db"));
  PointResult failed = synthetic_result(study, grid[1]);
  failed.status = PointStatus::Failed;
  failed.error = "out of memory";
  failed.metrics.clear();
  EXPECT_TRUE(store.record(failed));
  EXPECT_EQ(store.failed_points().count(grid[1].id), 1u);
  EXPECT_TRUE(store.record(synthetic_result(study, grid[1])));
  EXPECT_EQ(store.failed_points().size(), 0u);
  EXPECT_EQ(test::query_rows(dir.file("results.db"), "SELECT status, attempts, error FROM runs").at(0), "ok|2|NULL");
}

TEST(SweepStore, RefusesAStoreFromANewerSchema) {
  test::ScratchDir dir("store_newer");
  std::string db = dir.file("results.db");
  { Store store(db); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE schema_version SET version = 7", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  try {
    Store store(db);
    FAIL() << "opened a store of schema version 7";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("schema version 7"));
    EXPECT_THAT(e.what(), HasSubstr("newer quantscale"));
  }
}

TEST(SweepStore, RefusesAFileThatIsNotAStore) {
  test::ScratchDir dir("store_garbage");
  std::string db = dir.file("results.db");
  FILE* f = std::fopen(db.c_str(), "w");
  std::fputs("this is not a database, just text that is long enough to have a header.........\n", f);
  std::fclose(f);
  EXPECT_THROW(Store store(db), Error);
}

// A full disk (SQLite's page limit) in the middle of a point: the whole point is rolled back,
// the error names it, earlier points are intact, and the point records once space is back.
TEST(SweepStore, WriteFailureRollsBackThePoint) {
  test::ScratchDir dir("store_full");
  Study study;
  std::vector<SweepPoint> grid = tiny_grid(study);
  std::string db = dir.file("results.db");
  { Store store(db); EXPECT_TRUE(store.record(synthetic_result(study, grid[0]))); }
  int64_t pages = std::stoll(test::query_rows(db, "SELECT page_count FROM pragma_page_count()").at(0));
  PointResult big = synthetic_result(study, grid[1]);
  for (int i = 0; i < 4000; ++i) big.quant.layers.push_back({"layer." + std::to_string(i) + std::string(60, 'x'), 0.5, 3.0});
  {
    Store store(db, Store::Options{pages + 2});
    try {
      store.record(big);
      FAIL() << "a 300 KB point fit into 2 free pages";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("rolled back"));
      EXPECT_THAT(e.what(), HasSubstr(grid[1].id));
    }
    EXPECT_EQ(store.finished_points().size(), 1u);
  }
  EXPECT_EQ(test::query_rows(db, "PRAGMA integrity_check").at(0), "ok");
  EXPECT_EQ(count(db, "runs"), 1);
  EXPECT_EQ(count(db, "configurations"), 1);
  EXPECT_EQ(count(db, "quant_layers"), 0);
  Store store(db);
  EXPECT_TRUE(store.record(big));
  EXPECT_EQ(count(db, "quant_layers"), static_cast<int64_t>(big.quant.layers.size()));
}

}  // namespace
}  // namespace qs

namespace qs {
namespace {

// Claims on two connections to one store, at chosen times (Unix seconds): one owner at a time,
// a lease that runs out or a dead owner frees the point, a finished point is never claimed.
TEST(SweepStoreClaims, OneOwnerUntilTheLeaseRunsOut) {
  test::ScratchDir dir("store_claims");
  Study study;
  std::vector<SweepPoint> grid = tiny_grid(study);
  Store a(dir.file("results.db")), b(dir.file("results.db"));
  auto alive = [](const std::string&) { return false; };
  auto dead = [](const std::string&) { return true; };
  const std::string p = grid[1].id;
  EXPECT_EQ(a.claim(p, "A", 1000, 60, false, alive), Store::Claim::taken);
  EXPECT_EQ(b.claim(p, "B", 1030, 60, false, alive), Store::Claim::held_elsewhere);
  EXPECT_EQ(b.claim_owner(p, 1030), "A");
  a.renew_claims("A", 1050, 60);  // now held until 1110
  EXPECT_EQ(b.claim(p, "B", 1100, 60, false, alive), Store::Claim::held_elsewhere);
  EXPECT_EQ(b.claim(p, "B", 1100, 60, false, dead), Store::Claim::taken) << "a dead owner's claim is void";
  EXPECT_EQ(a.claim(p, "A", 1101, 60, false, alive), Store::Claim::held_elsewhere);
  EXPECT_EQ(a.claim(p, "A", 1161, 60, false, alive), Store::Claim::taken) << "an expired claim is taken over";
  b.release_claim(p, "B");  // not B's any more: A keeps it
  EXPECT_EQ(b.claim_owner(p, 1162), "A");
  a.release_claim(p, "A");
  EXPECT_EQ(b.claim_owner(p, 1162), "");
  EXPECT_EQ(b.claim(p, "B", 1162, 60, false, alive), Store::Claim::taken);

  // Recorded points are not claimed again; a failed one only when retrying failures.
  EXPECT_TRUE(a.record(synthetic_result(study, grid[0])));
  EXPECT_EQ(b.claim(grid[0].id, "B", 2000, 60, true, alive), Store::Claim::finished);
  PointResult failed = synthetic_result(study, grid[2]);
  failed.status = PointStatus::Failed;
  failed.metrics.clear();
  EXPECT_TRUE(a.record(failed));
  EXPECT_EQ(b.claim(grid[2].id, "B", 2000, 60, false, alive), Store::Claim::finished);
  EXPECT_EQ(b.claim(grid[2].id, "B", 2000, 60, true, alive), Store::Claim::taken);
}

// Many threads, each with its own connection, race for the same points: each point is taken
// exactly once (BEGIN IMMEDIATE serializes the read-then-write of a claim).
TEST(SweepStoreClaims, RacingConnectionsTakeEachPointOnce) {
  test::ScratchDir dir("store_claims_race");
  { Store create(dir.file("results.db")); }
  constexpr int kThreads = 4, kPoints = 50;
  std::vector<std::vector<int>> taken(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Store store(dir.file("results.db"));
      for (int p = 0; p < kPoints; ++p)
        // (ids as to_string(..) + suffix: "literal" + std::string trips GCC 12's -Wrestrict at -O3)
        if (store.claim(std::to_string(p) + "-point", std::to_string(t) + "-owner", 1000, 60, false,
                        [](const std::string&) { return false; }) == Store::Claim::taken)
          taken[t].push_back(p);
    });
  for (auto& thread : threads) thread.join();
  std::vector<int> all;
  for (const auto& mine : taken) all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  std::vector<int> expected(kPoints);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

}  // namespace
}  // namespace qs
