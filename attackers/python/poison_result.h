#pragma once
// What a python attacker's generate() returned, checked and turned into a poison batch: one
// `error:` line at the method for a wrong type, dtype, shape, NaN, a pixel outside [0, 1], a
// label outside the data set's classes or a seed row outside the pool.
#include <cstdint>

#include "pipeline/plugins/attacker.h"
#include "pipeline/python/python_runtime.h"

namespace poisonsim::python {

// `value` must be (images, labels) or (images, labels, seed_rows): images float32 of shape
// (count, C, H, W) or (count, C*H*W) in [0, 1], labels integers of shape (count,) in
// [0, num_classes), seed_rows integers of shape (count,) indexing `pool` (the seeds then are
// those pool samples; without them each sample is its own seed, with its poison label). Call
// with the GIL held.
PoisonBatch poison_result(const py::object& value, int64_t count, const PoisonShape& shape,
                          const Dataset& pool, const CodeSite& site);

}  // namespace poisonsim::python
