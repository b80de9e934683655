#include "sim/kernel/kernel.h"

#include "sim/util/error.h"
#include "sim/kernel/state_archive.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace poisonsim::sim {

uint32_t Kernel::add(std::unique_ptr<Process> process) {
  if (started_) throw std::logic_error("Kernel::add: processes must be added before run()");
  for (const auto& existing : processes_)
    if (existing->name() == process->name())
      throw std::logic_error("Kernel::add: two processes named " + process->name());
  process->id_ = static_cast<uint32_t>(processes_.size());
  processes_.push_back(std::move(process));
  return static_cast<uint32_t>(processes_.size() - 1);
}

EventHandle Kernel::schedule_at(SimTime time, uint32_t target, int32_t kind, int32_t priority,
                                int64_t payload) {
  if (time < now_)
    throw std::logic_error("Kernel::schedule_at: time " + std::to_string(time) + " is before now " +
                           std::to_string(now_));
  if (target >= processes_.size()) throw std::logic_error("Kernel::schedule_at: unknown target");
  Event event;
  event.time = time;
  event.priority = priority;
  event.target = target;
  event.kind = kind;
  event.payload = payload;
  return queue_.push(event);
}

void Kernel::run(SimTime until, const std::function<void(const Event&)>& on_event,
                 const std::function<bool()>& stop_before) {
  if (!started_) {
    started_ = true;
    for (auto& process : processes_) process->start(*this);
  }
  stopped_ = false;
  while (!stopped_) {
    if (stop_before && stop_before()) {
      stopped_ = true;
      break;
    }
    const Event* next = queue_.peek();
    if (!next || next->time > until) {
      now_ = std::max(now_, until);
      break;
    }
    const Event event = *queue_.pop();
    now_ = event.time;
    if (on_event) on_event(event);
    processes_[event.target]->handle(*this, event);
    ++events_handled_;
  }
}

template <class Archive>
void serialize(Archive& archive, Event& event) {
  archive(event.time, event.priority, event.sequence, event.target, event.kind, event.payload);
}

void Kernel::save_state(StateOut& out) const {
  out.section("kernel");
  out(now_, events_handled_, queue_.pending(), queue_.next_sequence(),
      static_cast<uint64_t>(processes_.size()));
  for (const auto& process : processes_) {
    out.section("process/" + process->name());
    process->save_state(out);
  }
}

void Kernel::restore_state(StateIn& in) {
  if (started_) throw std::logic_error("Kernel::restore_state: the run has started");
  in.section("kernel");
  std::vector<Event> pending;
  uint64_t next_sequence = 0;
  uint64_t process_count = 0;
  in(now_, events_handled_, pending, next_sequence, process_count);
  if (process_count != processes_.size())
    throw UserError(in.where(), "does not match this scenario: it has " +
                                    std::to_string(process_count) + " processes, the scenario " +
                                    std::to_string(processes_.size()));
  for (const auto& event : pending)
    if (event.target >= processes_.size() || !std::isfinite(event.time) || event.time < now_)
      throw UserError(in.where(), "the saved event queue is corrupt");
  queue_.restore(pending, next_sequence);
  for (auto& process : processes_) {
    in.section("process/" + process->name());
    process->load_state(in);
  }
  started_ = true;
}

}  // namespace poisonsim::sim
