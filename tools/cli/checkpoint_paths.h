#pragma once
// The checkpoint file of `run` and `resume`, checked with the run's other outputs before any work
// and reserved for the run's whole life (issue 28). A checkpoint is replaced at every checkpoint
// time, so it cannot carry the reservation itself: CKPT.lock beside it is locked (sim/util/
// file_locks.h) until the run ends, and removed then. A second run or resume pointing at the
// same checkpoint fails at once, instead of replacing the first run's resume point under it.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/util/file_locks.h"

namespace poisonsim::cli {

// Refuses, before any work, a checkpoint path that is neither a regular file nor new, and
// (unless `replace`: --force, or resume's own checkpoint) one that exists.
void check_checkpoint_path(const std::string& checkpoint, bool replace);

// Refuses a checkpoint that is the same file as one of the run's other outputs, given as
// (option, path): the trace and the --json file, named directly, relatively or through links.
void check_distinct_outputs(const std::string& checkpoint,
                            const std::vector<std::pair<std::string, std::string>>& outputs);

// The lock on `checkpoint`, held for the caller's life. UserError naming the checkpoint when
// another run or resume holds it, or when its directory cannot be written (found now, not at
// the first checkpoint).
std::unique_ptr<LockFile> reserve_checkpoint(const std::string& checkpoint);

}  // namespace poisonsim::cli
