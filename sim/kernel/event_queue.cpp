#include "sim/kernel/event_queue.h"

#include <cmath>
#include <stdexcept>

namespace poisonsim::sim {

EventHandle EventQueue::push(Event event) {
  if (!std::isfinite(event.time)) throw std::invalid_argument("EventQueue: non-finite event time");
  event.sequence = next_sequence_++;
  events_.insert(event);
  return {event.time, event.priority, event.sequence};
}

bool EventQueue::cancel(const EventHandle& handle) {
  Event key;
  key.time = handle.time;
  key.priority = handle.priority;
  key.sequence = handle.sequence;
  return events_.erase(key) > 0;
}

std::optional<Event> EventQueue::pop() {
  if (events_.empty()) return std::nullopt;
  Event next = *events_.begin();
  events_.erase(events_.begin());
  return next;
}

void EventQueue::restore(const std::vector<Event>& pending, uint64_t next_sequence) {
  events_ = std::set<Event>(pending.begin(), pending.end());
  next_sequence_ = next_sequence;
}

}  // namespace poisonsim::sim
