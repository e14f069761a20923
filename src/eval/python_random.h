#pragma once
// CPython's `random.Random` (MT19937, seeded from an int as CPython seeds it), reproduced
// bit for bit so that few-shot examples (lm-eval samples them with
// `random.Random(fewshot_seed).sample(docs, k)`) and bootstrap standard errors
// (`random.Random(chunk).choices(xs, k=len(xs))`) are the ones lm-eval draws.
#include <array>
#include <cstdint>
#include <vector>

namespace qs {

class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed);  // random.Random(seed) for a non-negative int seed

  uint32_t genrand_uint32();
  uint64_t getrandbits(int bits);  // 1 <= bits <= 64
  uint64_t randbelow(uint64_t n);  // Random._randbelow_with_getrandbits, n >= 1
  double random();                 // Random.random(): 53-bit float in [0, 1)

  // Random.sample(range(population), k): the chosen indices in selection order.
  std::vector<int64_t> sample(int64_t population, int64_t k);
  // Random.choices(range(population), k=k): indices drawn with replacement.
  std::vector<int64_t> choices(int64_t population, int64_t k);

 private:
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);
  std::array<uint32_t, 624> state_{};
  int index_ = 625;
};

}  // namespace qs
