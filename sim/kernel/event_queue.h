#pragma once
// The future event list. Events are plain data (no callbacks), ordered by (time, priority,
// sequence number): ties in time are broken by priority, then by the order they were scheduled,
// so a run never depends on container or thread behaviour. Being data, the queue can be saved
// and restored for checkpoints.
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace poisonsim::sim {

using SimTime = double;  // simulated seconds

struct Event {
  SimTime time = 0;
  int32_t priority = 0;   // lower runs first among events at the same time
  uint64_t sequence = 0;  // assigned by the queue; unique, increasing
  uint32_t target = 0;    // id of the process that handles it
  int32_t kind = 0;       // meaning defined by the target process
  int64_t payload = 0;    // free for the target process (a batch number, a counter, ...)

  bool operator<(const Event& o) const {
    if (time != o.time) return time < o.time;
    if (priority != o.priority) return priority < o.priority;
    return sequence < o.sequence;
  }
};

// Identifies a scheduled event, for cancellation.
struct EventHandle {
  SimTime time = 0;
  int32_t priority = 0;
  uint64_t sequence = 0;
};

class EventQueue {
 public:
  // Schedules `event` (its sequence is overwritten) and returns its handle.
  EventHandle push(Event event);
  // Removes a pending event; false when it already ran or was cancelled.
  bool cancel(const EventHandle& handle);
  std::optional<Event> pop();
  const Event* peek() const { return events_.empty() ? nullptr : &*events_.begin(); }
  bool empty() const { return events_.empty(); }
  size_t size() const { return events_.size(); }

  // Checkpoint support: the pending events in order, and the next sequence number.
  std::vector<Event> pending() const { return {events_.begin(), events_.end()}; }
  uint64_t next_sequence() const { return next_sequence_; }
  void restore(const std::vector<Event>& pending, uint64_t next_sequence);

 private:
  std::set<Event> events_;
  uint64_t next_sequence_ = 0;
};

}  // namespace poisonsim::sim
