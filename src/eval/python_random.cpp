#include "eval/python_random.h"

#include <cmath>
#include <unordered_set>

#include "core/error.h"

namespace qs {

// MT19937 as in CPython's Modules/_randommodule.c (Matsumoto & Nishimura, 2002 reference code).
void PythonRandom::init_genrand(uint32_t s) {
  state_[0] = s;
  for (int i = 1; i < 624; ++i)
    state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  index_ = 624;
}

void PythonRandom::init_by_array(const std::vector<uint32_t>& key) {
  init_genrand(19650218u);
  size_t i = 1, j = 0;
  const size_t n = 624, key_length = key.size();
  for (size_t k = (n > key_length ? n : key_length); k > 0; --k) {
    state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= n) {
      state_[0] = state_[n - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (size_t k = n - 1; k > 0; --k) {
    state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= n) {
      state_[0] = state_[n - 1];
      i = 1;
    }
  }
  state_[0] = 0x80000000u;
}

// CPython seeds from an int by splitting |seed| into 32-bit words, least significant first.
PythonRandom::PythonRandom(uint64_t seed) {
  std::vector<uint32_t> key;
  do {
    key.push_back(static_cast<uint32_t>(seed & 0xffffffffu));
    seed >>= 32;
  } while (seed != 0);
  init_by_array(key);
}

uint32_t PythonRandom::genrand_uint32() {
  constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrixA = 0x9908b0dfu;
  if (index_ >= 624) {
    int kk = 0;
    for (; kk < 624 - 397; ++kk) {
      uint32_t y = (state_[kk] & kUpper) | (state_[kk + 1] & kLower);
      state_[kk] = state_[kk + 397] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    }
    for (; kk < 623; ++kk) {
      uint32_t y = (state_[kk] & kUpper) | (state_[kk + 1] & kLower);
      state_[kk] = state_[kk + (397 - 624)] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    }
    uint32_t y = (state_[623] & kUpper) | (state_[0] & kLower);
    state_[623] = state_[396] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    index_ = 0;
  }
  uint32_t y = state_[index_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= (y >> 18);
  return y;
}

// Random.getrandbits: 32-bit words, least significant first, the last one shifted down.
uint64_t PythonRandom::getrandbits(int bits) {
  require(bits >= 1 && bits <= 64, "PythonRandom", "getrandbits needs 1..64 bits");
  if (bits <= 32) return genrand_uint32() >> (32 - bits);
  uint64_t low = genrand_uint32();
  uint64_t high = genrand_uint32() >> (64 - bits);
  return low | (high << 32);
}

uint64_t PythonRandom::randbelow(uint64_t n) {
  require(n >= 1, "PythonRandom", "randbelow needs n >= 1");
  int bits = 0;
  for (uint64_t v = n; v != 0; v >>= 1) ++bits;  // n.bit_length()
  uint64_t r = getrandbits(bits);
  while (r >= n) r = getrandbits(bits);
  return r;
}

double PythonRandom::random() {
  uint32_t a = genrand_uint32() >> 5, b = genrand_uint32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

std::vector<int64_t> PythonRandom::sample(int64_t population, int64_t k) {
  require(k >= 0 && k <= population, "PythonRandom",
          "sample of " + std::to_string(k) + " from a population of " + std::to_string(population));
  std::vector<int64_t> result(static_cast<size_t>(k));
  int64_t setsize = 21;  // CPython's heuristic: pool copy for small populations, set otherwise
  if (k > 5) setsize += static_cast<int64_t>(std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
  if (population <= setsize) {
    std::vector<int64_t> pool(static_cast<size_t>(population));
    for (int64_t i = 0; i < population; ++i) pool[static_cast<size_t>(i)] = i;
    for (int64_t i = 0; i < k; ++i) {
      auto j = static_cast<size_t>(randbelow(static_cast<uint64_t>(population - i)));
      result[static_cast<size_t>(i)] = pool[j];
      pool[j] = pool[static_cast<size_t>(population - i - 1)];
    }
  } else {
    std::unordered_set<int64_t> selected;
    for (int64_t i = 0; i < k; ++i) {
      auto j = static_cast<int64_t>(randbelow(static_cast<uint64_t>(population)));
      while (selected.count(j) != 0) j = static_cast<int64_t>(randbelow(static_cast<uint64_t>(population)));
      selected.insert(j);
      result[static_cast<size_t>(i)] = j;
    }
  }
  return result;
}

std::vector<int64_t> PythonRandom::choices(int64_t population, int64_t k) {
  std::vector<int64_t> result(static_cast<size_t>(k));
  const double n = static_cast<double>(population);
  for (auto& index : result) index = static_cast<int64_t>(std::floor(random() * n));
  return result;
}

}  // namespace qs
