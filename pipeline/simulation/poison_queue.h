#pragma once
// Poison made ahead of the arrivals that send it, handed out in order: the `generate_ahead`
// reserve (poison_reserve.h) and the accumulative attacker's window dose (accumulative_doser.h).
#include <cstddef>

#include "pipeline/plugins/attacker.h"

namespace poisonsim {

class StateIn;
class StateOut;

struct PoisonQueue {
  PoisonBatch made;
  size_t next = 0;  // first sample not yet handed out

  size_t remaining() const { return made.samples.size() - next; }
  // The next min(count, remaining()) samples with their seeds.
  PoisonBatch take(size_t count);
  void clear() { *this = {}; }
  // Checkpoints; `what` names the queue in an error about a saved one that does not fit.
  void save(StateOut& out) const;
  void load(StateIn& in, const char* what);
};

// Rows first .. first + count - 1 of `from`.
Dataset take_rows(const Dataset& from, size_t first, size_t count);

}  // namespace poisonsim
