#pragma once
// The results store: one SQLite file (WAL journal, busy timeout) that many sweeps may read and
// write; each sweep claims a point before running it (claims below), so two sweeps on one store
// share the grid instead of both running it. Each finished point is recorded in a single transaction, so after any
// crash (kill -9, power loss, full disk) the store holds whole points or nothing of a point.
// Schema: docs/sweep.md; the law stage reads the `law_observations` view.
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "sweep/point_result.h"

struct sqlite3;

namespace qs {

class Store {
 public:
  static constexpr int kSchemaVersion = 2;

  struct Options {
    // SQLite's max_page_count for this connection; 0 = unlimited. Tests use it to simulate
    // a full disk (writes beyond it fail with SQLITE_FULL).
    int64_t max_page_count = 0;
  };

  // Creates or opens the store. Throws qs::Error(path, ...) when the file is not a store,
  // or was written by a newer quantscale (schema version above kSchemaVersion).
  explicit Store(const std::string& path) : Store(path, Options{}) {}
  Store(const std::string& path, const Options& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::set<std::string> finished_points() const;  // ids with status "ok"
  std::set<std::string> failed_points() const;    // ids whose last attempt failed

  // Records the point in one transaction. A point already recorded "ok" is left as is and
  // false is returned (merging the same result twice is a no-op); a failed attempt is
  // replaced. On any SQLite error the transaction is rolled back and qs::Error is thrown.
  bool record(const PointResult& result);

  // Claims: a sweep takes a point by writing (point, owner, expires_at) in one IMMEDIATE
  // transaction, so of two sweeps asking at once exactly one gets it. The claim is a lease: its
  // owner renews it while the point runs (claim_lease.h); one that ran out, or whose owner
  // `owner_gone` says is dead, belongs to nobody and the point may be taken over. Times are
  // Unix seconds. A point recorded "ok" (or "failed", unless take_failed) is never claimed.
  enum class Claim { taken, finished, held_elsewhere };
  Claim claim(const std::string& point_id, const std::string& owner, double now, double lease_seconds,
              bool take_failed, const std::function<bool(const std::string& owner)>& owner_gone);
  void renew_claims(const std::string& owner, double now, double lease_seconds);  // every claim of `owner`
  void release_claim(const std::string& point_id, const std::string& owner);
  // The owner of a live claim on the point ("" when none is live at `now`).
  std::string claim_owner(const std::string& point_id, double now) const;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  void exec(const std::string& sql) const;
  template <typename Body>
  auto in_transaction(const std::string& what, Body body);
  std::set<std::string> points_with_status(const std::string& status) const;
  void write_point(const PointResult& result);
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace qs
