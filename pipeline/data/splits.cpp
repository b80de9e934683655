#include "pipeline/data/splits.h"

#include <numeric>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

std::vector<Dataset> split_dataset(const Dataset& data, const std::vector<SplitPart>& parts,
                                   uint64_t seed, const std::string& where) {
  int64_t fixed = 0;
  int rest_parts = 0;
  for (const auto& part : parts) {
    if (part.count < -1 || part.count == 0)
      throw UserError(where + "." + part.name,
                      fmt::format("{} samples: expected a positive count", part.count));
    if (part.count == -1)
      ++rest_parts;
    else
      fixed += part.count;
  }
  if (rest_parts > 1) throw UserError(where, "only one part may take the rest of the data");
  const auto total = static_cast<int64_t>(data.size());
  if (fixed > total || (rest_parts == 1 && fixed == total))
    throw UserError(where,
                    fmt::format("the parts ask for {} samples{} but {} holds {}", fixed,
                                rest_parts ? " plus a non-empty rest" : "", data.name, total));

  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), size_t{0});
  RandomStream rng(seed, "data/split");
  rng.shuffle(order.begin(), order.end());

  std::vector<Dataset> out;
  size_t next = 0;
  for (const auto& part : parts) {
    const size_t take =
        part.count == -1 ? static_cast<size_t>(total - fixed) : static_cast<size_t>(part.count);
    std::vector<size_t> indices(order.begin() + static_cast<std::ptrdiff_t>(next),
                                order.begin() + static_cast<std::ptrdiff_t>(next + take));
    next += take;
    out.push_back(data.subset(indices, data.name + "/" + part.name));
  }
  return out;
}

}  // namespace poisonsim
