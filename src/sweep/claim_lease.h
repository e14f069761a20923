#pragma once
// Who holds a claim on a store point and for how long (Store::claim): each sweep process is one
// owner, "<host>:<pid>:<process start time>", and keeps its claims alive with a heartbeat.
//
// Lease: a claim lasts kClaimLeaseSeconds from its last renewal; the heartbeat renews every
// kClaimLeaseSeconds / 4, so a live sweep never lets one lapse even with the store busy for a
// while. A sweep that dies stops renewing: on another host its points are free once the lease
// has run out; on this host at once, because owner_gone() sees that its process is gone (a
// killed sweep restarted at once takes its points back).
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace qs {

inline constexpr double kClaimLeaseSeconds = 60;

// Seconds since the Unix epoch (wall clock: leases are compared across processes and hosts).
double unix_now();

// This process as a claim owner.
std::string claim_owner_id();

// True when `owner` is a process of this host that no longer runs (its pid is gone or now
// belongs to a process started at another time). Owners on other hosts: false (the lease decides).
bool owner_gone(const std::string& owner);

// Renews `owner`'s claims in the store at `store_path` every lease / 4 on its own connection
// until destroyed. A failed renewal is reported on stderr and retried at the next beat.
class ClaimHeartbeat {
 public:
  ClaimHeartbeat(std::string store_path, std::string owner, double lease_seconds = kClaimLeaseSeconds);
  ~ClaimHeartbeat();
  ClaimHeartbeat(const ClaimHeartbeat&) = delete;
  ClaimHeartbeat& operator=(const ClaimHeartbeat&) = delete;

 private:
  void beat();
  std::string store_path_, owner_;
  double lease_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace qs
