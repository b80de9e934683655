#pragma once
// The parameters of a sweep: each axis is a scenario key path and the values it takes. Axes come
// from a scenario's `sweep:` block or from `poisonsim sweep --param path=values`; both use the
// value grammar of parse_sweep_values(). Every run of a sweep is the base scenario with one value
// per axis applied as a `--set path=value` override, so a run is reproducible with `poisonsim run`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace poisonsim {

class ConfigNode;

struct SweepAxis {
  std::string path;                 // scenario key path, as --set takes it: attackers.0.rate
  std::vector<std::string> values;  // YAML scalars, in the order given
  std::string where;                // how errors name its origin (file:line:col or --param ...)
};

// Values of one axis:
//   "1,5,10"         the listed values (any YAML scalars: numbers, names)
//   "0.5:8:log16"    16 values from 0.5 to 8, evenly spaced on a log scale (both ends included)
//   "0:1:lin5"       5 values from 0 to 1, evenly spaced
//   "3"              a single value
// Range values are printed with 4 significant digits. Throws UserError naming `where` when the
// spec is malformed (empty value, bad range, fewer than 1 or more than 100000 points, log range
// through zero or below).
std::vector<std::string> parse_sweep_values(const std::string& spec, const std::string& where);

// `text` as a number when all of it is one finite number (strtod syntax, in range), else
// nullopt: how a sweep tells numeric values from names, and how ranges and thresholds are read.
std::optional<double> parse_finite_number(const std::string& text);

// "--param path=values". UserError naming the option when it has no '=' or an empty path.
SweepAxis parse_sweep_param(const std::string& option);

// The key path of the scenario's root seed: the seed axis of a sweep.
constexpr const char* kSeedKeyPath = "seed";

// Seeds per cell (`poisonsim sweep --seeds N`, the block's `seeds: N`): a whole number from 1 to
// kMaxSeeds, else UserError naming `where`.
constexpr int64_t kMaxSeeds = 10000;
int64_t parse_seed_count(const std::string& text, const std::string& where);

// The `seed` axis of `count` seeds from the scenario's seed: base, base + 1, ..., base + count - 1
// (each run's random streams derive from its seed, docs/architecture.md#determinism). UserError
// naming `where` when they would pass the largest seed.
SweepAxis seed_axis(uint64_t base, int64_t count, const std::string& where);

// The scenario's `sweep:` block: a mapping of key path -> a list of values or a value spec
// string. List entries may be mappings ({type: none}), applied like --set 'guard={type: none}'.
// The key `seeds: N` is the `seed` axis of N seeds from `base_seed` (seed_axis()), where it
// stands in the block. Absent or null: no axes. UserError at the offending entry's file:line:col.
std::vector<SweepAxis> read_sweep_block(ConfigNode& root, uint64_t base_seed);

// Axes of a sweep: the block's, with a --param replacing the block's axis of the same path
// (so a scenario's default grid can be narrowed from the command line); a path given twice on
// the command line is a UserError.
std::vector<SweepAxis> merge_sweep_axes(std::vector<SweepAxis> from_block,
                                        const std::vector<SweepAxis>& from_options);

// Number of runs in the grid (product of the axes' sizes; 1 without axes). UserError when it
// exceeds `limit`.
size_t sweep_grid_size(const std::vector<SweepAxis>& axes, size_t limit);

}  // namespace poisonsim
