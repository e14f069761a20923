#include "sweep/store.h"

#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/error.h"

namespace qs {
namespace {

// Version 2 of the store. Any change to the result tables or to the law_observations view (the
// law stage's input contract) bumps kSchemaVersion and adds a migration (kMigrations). The claims table
// (kClaimsTable) coordinates running sweeps and holds no result: it is created when missing,
// and a quantscale that predates it opens the store as before and simply ignores it.

// The law stage's input (law/observations.h). Version 2 added n_docs (the binomial
// estimator's document counts).
const char* const kLawObservationsView = R"sql(
CREATE VIEW law_observations AS
SELECT c.point_id AS point_id, m.name AS model, m.architecture AS architecture,
       m.n_params AS n_params, m.n_params_nonembed AS n_params_nonembed,
       c.method AS method, c.bits AS bits, c.group_size AS group_size,
       c.calib_samples AS calib_samples, c.seed AS seed,
       t.task AS task, t.stratum AS stratum, t.metric AS metric,
       t.value AS acc, t.stderr AS acc_stderr, t.acc_rand AS acc_rand,
       p.ppl AS ppl,
       (SELECT pf.ppl FROM configurations cf
          JOIN runs rf ON rf.point_id = cf.point_id AND rf.status = 'ok'
          JOIN perplexity pf ON pf.point_id = cf.point_id
         WHERE cf.eval_key = c.eval_key AND cf.method = 'fp') AS ppl_fp,
       t.n_samples AS n_docs
  FROM configurations c
  JOIN runs r ON r.point_id = c.point_id AND r.status = 'ok'
  JOIN models m ON m.model_id = c.model_id
  JOIN task_metrics t ON t.point_id = c.point_id AND t.is_primary = 1
  LEFT JOIN perplexity p ON p.point_id = c.point_id;
)sql";

const char* const kTables = R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE models(
  model_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, path TEXT, architecture TEXT,
  n_params INTEGER, n_params_nonembed INTEGER, file_hash TEXT);
CREATE TABLE configurations(
  point_id TEXT PRIMARY KEY, model_id INTEGER NOT NULL REFERENCES models(model_id),
  method TEXT NOT NULL, bits INTEGER NOT NULL, group_size INTEGER NOT NULL,
  calib_samples INTEGER NOT NULL, seed INTEGER NOT NULL, eval_key TEXT NOT NULL, settings TEXT NOT NULL);
CREATE TABLE runs(
  point_id TEXT PRIMARY KEY REFERENCES configurations(point_id),
  status TEXT NOT NULL CHECK(status IN ('ok', 'failed')), attempts INTEGER NOT NULL,
  started_at TEXT, finished_at TEXT, quantize_seconds REAL, eval_seconds REAL, ppl_seconds REAL,
  total_seconds REAL, host TEXT, qs_version TEXT, git_revision TEXT, error TEXT);
CREATE TABLE task_metrics(
  point_id TEXT NOT NULL REFERENCES configurations(point_id), task TEXT NOT NULL, stratum TEXT NOT NULL,
  metric TEXT NOT NULL, value REAL NOT NULL, stderr REAL, acc_rand REAL NOT NULL, n_samples INTEGER,
  is_primary INTEGER NOT NULL, PRIMARY KEY(point_id, task, metric));
CREATE TABLE quant_summary(
  point_id TEXT PRIMARY KEY REFERENCES configurations(point_id), bits_per_weight REAL, memory_bytes INTEGER);
CREATE TABLE quant_layers(
  point_id TEXT NOT NULL REFERENCES configurations(point_id), layer TEXT NOT NULL, error REAL,
  bits_per_weight REAL, PRIMARY KEY(point_id, layer));
CREATE TABLE perplexity(
  point_id TEXT PRIMARY KEY REFERENCES configurations(point_id), ppl REAL NOT NULL, n_tokens INTEGER);
)sql";

// Migrations from version v to v + 1, in order (index 0: 1 -> 2), each run in the opening
// transaction.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> steps = {std::string("DROP VIEW law_observations;") + kLawObservationsView};
  return steps;
}

const char* const kClaimsTable = R"sql(
CREATE TABLE IF NOT EXISTS claims(
  point_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL);
)sql";

using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

// One prepared statement, bound, stepped to completion and finalized.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(const std::vector<SqlValue>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      int at = static_cast<int>(i) + 1, rc = SQLITE_OK;
      if (auto* v = std::get_if<int64_t>(&values[i])) rc = sqlite3_bind_int64(stmt_, at, *v);
      else if (auto* d = std::get_if<double>(&values[i])) rc = sqlite3_bind_double(stmt_, at, *d);
      else if (auto* s = std::get_if<std::string>(&values[i]))
        rc = sqlite3_bind_text(stmt_, at, s->c_str(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      else rc = sqlite3_bind_null(stmt_, at);
      if (rc != SQLITE_OK) fail("bind");
    }
    return *this;
  }
  bool step() {  // true while a row is available
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  void run() { while (step()) {} }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string text(int column) const {
    const unsigned char* t = sqlite3_column_text(stmt_, column);
    return t == nullptr ? "" : reinterpret_cast<const char*>(t);
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw Error(sqlite3_db_filename(db_, "main") ? sqlite3_db_filename(db_, "main") : "store",
                std::string("SQLite ") + what + " failed: " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

Store::Store(const std::string& path, const Options& options) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error(path, "cannot open store: " + message);
  }
  try {
    sqlite3_busy_timeout(db_, 60000);
    // Two sweeps opening a new store at once: turning it to WAL needs the exclusive lock, and
    // SQLite answers SQLITE_BUSY at once there, without the busy handler (its deadlock
    // avoidance when a reader wants to escalate), so the switch is retried for up to 60 s.
    for (int attempt = 0;; ++attempt) {
      const int rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) break;
      if ((rc & 0xff) != SQLITE_BUSY || attempt == 1200) {
        exec("PRAGMA journal_mode=WAL;");  // once more: its error names the store
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    if (options.max_page_count > 0) exec("PRAGMA max_page_count=" + std::to_string(options.max_page_count) + ";");
    exec("BEGIN IMMEDIATE;");
    try {
      Statement has_table(db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'");
      has_table.step();
      if (has_table.integer(0) == 0) {
        exec(kTables);
        exec(kLawObservationsView);
        Statement(db_, "INSERT INTO schema_version(version) VALUES(?)").bind({int64_t{kSchemaVersion}}).run();
      } else {
        Statement version(db_, "SELECT max(version) FROM schema_version");
        version.step();
        const int64_t found = version.integer(0);
        if (found > kSchemaVersion)
          throw Error(path, "store schema version " + std::to_string(found) +
                                " was written by a newer quantscale (this one reads version " +
                                std::to_string(kSchemaVersion) + "); use a newer quantscale or a new output folder");
        require(found >= 1, path, "store schema version " + std::to_string(found) + " is not a quantscale version");
        for (int64_t v = found; v < kSchemaVersion; ++v) {
          exec(migrations().at(static_cast<size_t>(v - 1)));
          Statement(db_, "INSERT INTO schema_version(version) VALUES(?)").bind({int64_t{v + 1}}).run();
        }
      }
      exec(kClaimsTable);
      exec("COMMIT;");
    } catch (...) {
      exec("ROLLBACK;");
      throw;
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw Error(path_, "SQLite: " + text);
  }
}

std::set<std::string> Store::points_with_status(const std::string& status) const {
  Statement query(db_, "SELECT point_id FROM runs WHERE status = ?");
  query.bind({std::string(status)});
  std::set<std::string> ids;
  while (query.step()) ids.insert(query.text(0));
  return ids;
}

std::set<std::string> Store::finished_points() const { return points_with_status(status_name(PointStatus::Ok)); }
std::set<std::string> Store::failed_points() const { return points_with_status(status_name(PointStatus::Failed)); }

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT (the write lock is taken up front, so two
// sweeps' read-then-write steps never interleave); any error rolls back and names `what`.
template <typename Body>
auto Store::in_transaction(const std::string& what, Body body) {
  exec("BEGIN IMMEDIATE;");
  try {
    auto result = body();
    exec("COMMIT;");
    return result;
  } catch (const Error& e) {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    throw Error(path_, what + " failed and was rolled back: " + e.what_failed());
  }
}

bool Store::record(const PointResult& result) {
  // On SQLITE_FULL SQLite rolls back on its own; in_transaction leaves the store as before the point.
  return in_transaction("recording point " + result.point.id + " (" + result.point.label() + ")", [&] {
    Statement existing(db_, "SELECT status FROM runs WHERE point_id = ?");
    existing.bind({result.point.id});
    if (existing.step() && existing.text(0) == status_name(PointStatus::Ok)) return false;
    write_point(result);
    return true;
  });
}

Store::Claim Store::claim(const std::string& point_id, const std::string& owner, double now, double lease_seconds,
                          bool take_failed, const std::function<bool(const std::string&)>& owner_gone) {
  return in_transaction("claiming point " + point_id, [&] {
    Statement run(db_, "SELECT status FROM runs WHERE point_id = ?");
    run.bind({point_id});
    if (run.step() && (run.text(0) == status_name(PointStatus::Ok) || !take_failed)) return Claim::finished;
    Statement held(db_, "SELECT owner, expires_at FROM claims WHERE point_id = ?");
    held.bind({point_id});
    if (held.step()) {
      std::string holder = held.text(0);
      bool live = held.real(1) > now;
      if (holder != owner && live && !owner_gone(holder)) return Claim::held_elsewhere;
    }
    Statement(db_, "INSERT OR REPLACE INTO claims(point_id, owner, expires_at) VALUES(?,?,?)")
        .bind({point_id, owner, now + lease_seconds})
        .run();
    return Claim::taken;
  });
}

void Store::renew_claims(const std::string& owner, double now, double lease_seconds) {
  Statement(db_, "UPDATE claims SET expires_at = ? WHERE owner = ?").bind({now + lease_seconds, owner}).run();
}

void Store::release_claim(const std::string& point_id, const std::string& owner) {
  Statement(db_, "DELETE FROM claims WHERE point_id = ? AND owner = ?").bind({point_id, owner}).run();
}

std::string Store::claim_owner(const std::string& point_id, double now) const {
  Statement held(db_, "SELECT owner FROM claims WHERE point_id = ? AND expires_at > ?");
  held.bind({point_id, now});
  return held.step() ? held.text(0) : "";
}

void Store::write_point(const PointResult& r) {
  const std::string& id = r.point.id;
  int64_t attempts = 1;
  {
    Statement previous(db_, "SELECT attempts FROM runs WHERE point_id = ?");
    previous.bind({id});
    if (previous.step()) attempts = previous.integer(0) + 1;
  }
  for (const char* table : {"task_metrics", "quant_layers", "quant_summary", "perplexity", "runs"})
    Statement(db_, std::string("DELETE FROM ") + table + " WHERE point_id = ?").bind({id}).run();

  // A failed point may know nothing about its model; facts from a later good point win.
  Statement(db_, "INSERT INTO models(name, path, architecture, n_params, n_params_nonembed, file_hash) "
                 "VALUES(?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET path = excluded.path, "
                 "architecture = excluded.architecture, n_params = excluded.n_params, "
                 "n_params_nonembed = excluded.n_params_nonembed, file_hash = excluded.file_hash "
                 "WHERE excluded.n_params > 0")
      .bind({r.point.model, r.model.path, r.model.architecture, r.model.n_params, r.model.n_params_nonembed,
             r.model.file_hash})
      .run();
  Statement(db_, "INSERT OR REPLACE INTO configurations(point_id, model_id, method, bits, group_size, calib_samples, "
                 "seed, eval_key, settings) VALUES(?, (SELECT model_id FROM models WHERE name = ?), ?,?,?,?,?,?,?)")
      .bind({id, r.point.model, method_name(r.point.method), int64_t{r.point.bits}, int64_t{r.point.group_size},
             int64_t{r.point.calib_samples}, static_cast<int64_t>(r.point.seed), r.point.eval_key, r.settings})
      .run();
  Statement(db_, "INSERT INTO runs(point_id, status, attempts, started_at, finished_at, quantize_seconds, eval_seconds, "
                 "ppl_seconds, total_seconds, host, qs_version, git_revision, error) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind({id, status_name(r.status), attempts, r.started_at, r.finished_at, r.quantize_seconds, r.eval_seconds, r.ppl_seconds,
             r.total_seconds, r.host, r.version, r.git_revision,
             r.error.empty() ? SqlValue{nullptr} : SqlValue{r.error}})
      .run();
  if (r.status != PointStatus::Ok) return;
  for (const auto& m : r.metrics)
    Statement(db_, "INSERT INTO task_metrics(point_id, task, stratum, metric, value, stderr, acc_rand, n_samples, "
                   "is_primary) VALUES(?,?,?,?,?,?,?,?,?)")
        .bind({id, m.task, m.stratum, m.metric, m.value, m.stderr_value < 0 ? SqlValue{nullptr} : SqlValue{m.stderr_value},
               m.acc_rand, m.n_samples,
               int64_t{m.primary ? 1 : 0}})
        .run();
  if (!r.point.is_baseline()) {
    Statement(db_, "INSERT INTO quant_summary(point_id, bits_per_weight, memory_bytes) VALUES(?,?,?)")
        .bind({id, r.quant.bits_per_weight, r.quant.memory_bytes})
        .run();
    for (const auto& layer : r.quant.layers)
      Statement(db_, "INSERT INTO quant_layers(point_id, layer, error, bits_per_weight) VALUES(?,?,?,?)")
          .bind({id, layer.layer, layer.error, layer.bits_per_weight})
          .run();
  }
  if (r.ppl_tokens > 0)
    Statement(db_, "INSERT INTO perplexity(point_id, ppl, n_tokens) VALUES(?,?,?)").bind({id, r.ppl, r.ppl_tokens}).run();
}

}  // namespace qs
