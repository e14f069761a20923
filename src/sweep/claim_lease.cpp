#include "sweep/claim_lease.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "sweep/point_result.h"
#include "sweep/store.h"

namespace qs {
namespace {

// Field 22 of /proc/<pid>/stat: the process's start time in clock ticks since boot, which
// tells a live process from a later one that reuses its pid (proc(5)). "" when there is none.
std::string process_start_time(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return "";
  size_t name_end = stat.rfind(')');  // the command name (field 2) may hold spaces
  if (name_end == std::string::npos) return "";
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index)
    if (index == 22) return field;
  return "";
}

}  // namespace

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string claim_owner_id() {
  std::string pid = std::to_string(::getpid());
  return host_name() + ":" + pid + ":" + process_start_time(pid);
}

bool owner_gone(const std::string& owner) {
  size_t last = owner.rfind(':');
  if (last == std::string::npos || last == 0) return false;
  size_t middle = owner.rfind(':', last - 1);
  if (middle == std::string::npos) return false;
  if (owner.substr(0, middle) != host_name()) return false;
  std::string pid = owner.substr(middle + 1, last - middle - 1);
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  return process_start_time(pid) != owner.substr(last + 1);
}

ClaimHeartbeat::ClaimHeartbeat(std::string store_path, std::string owner, double lease_seconds)
    : store_path_(std::move(store_path)), owner_(std::move(owner)), lease_seconds_(lease_seconds),
      thread_([this] { beat(); }) {}

ClaimHeartbeat::~ClaimHeartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ClaimHeartbeat::beat() {
  const auto period = std::chrono::duration<double>(lease_seconds_ / 4);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
    try {
      Store store(store_path_);  // its own connection: the sweep's may be inside a transaction
      store.renew_claims(owner_, unix_now(), lease_seconds_);
    } catch (const Error& e) {
      std::fprintf(stderr, "warning: renewing this sweep's claims: %s\n", e.what());
    }
  }
}

}  // namespace qs
