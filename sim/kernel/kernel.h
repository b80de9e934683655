#pragma once
// The discrete-event kernel, after SimPy's environment: a clock, the event queue, and the
// processes that react to events by changing their state and scheduling further events.
// Processes are objects (not coroutines or closures) so that their state can be saved.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/kernel/event_queue.h"

namespace poisonsim {
class StateIn;
class StateOut;
}  // namespace poisonsim

namespace poisonsim::sim {

class Kernel;

class Process {
 public:
  virtual ~Process() = default;
  // Unique within a simulation; also names the process's random stream and trace rows.
  virtual const std::string& name() const = 0;
  // Called once when the run starts: schedule the first events here.
  virtual void start(Kernel& kernel) = 0;
  virtual void handle(Kernel& kernel, const Event& event) = 0;
  // Checkpoints: everything the process changes while it runs (random streams, positions,
  // counters). The default is for processes whose state lives only in the event queue.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}

  // Assigned by Kernel::add; the target to use when scheduling events for this process.
  uint32_t id() const { return id_; }

 private:
  friend class Kernel;
  uint32_t id_ = 0;
};

class Kernel {
 public:
  // Registers a process (owned by the kernel) and returns its id, used as Event::target.
  uint32_t add(std::unique_ptr<Process> process);
  Process& process(uint32_t id) { return *processes_.at(id); }
  size_t process_count() const { return processes_.size(); }

  SimTime now() const { return now_; }
  // Schedules an event for process `target` at absolute time `time` (>= now).
  EventHandle schedule_at(SimTime time, uint32_t target, int32_t kind, int32_t priority = 0,
                          int64_t payload = 0);
  EventHandle schedule_in(SimTime delay, uint32_t target, int32_t kind, int32_t priority = 0,
                          int64_t payload = 0) {
    return schedule_at(now_ + delay, target, kind, priority, payload);
  }
  bool cancel(const EventHandle& handle) { return queue_.cancel(handle); }

  // Starts every process (first call only), then handles events in order while their time is
  // <= `until`; the clock ends at `until` (or at the last event if stop() was called).
  // `on_event`, when given, sees each event just before its handler runs (progress, tracing).
  // `stop_before`, when given, is asked before each event: true ends the run there, as stop()
  // does, with that event still queued (a stop signal then waits for no further step).
  void run(SimTime until, const std::function<void(const Event&)>& on_event = {},
           const std::function<bool()>& stop_before = {});
  // Makes run() return after the current event.
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  uint64_t events_handled() const { return events_handled_; }

  // Checkpoints: the clock, the queue and every process's state. restore_state() takes the
  // place of the first run()'s start: the processes must be added, in the same order, first.
  void save_state(StateOut& out) const;
  void restore_state(StateIn& in);
  const EventQueue& queue() const { return queue_; }

 private:
  std::vector<std::unique_ptr<Process>> processes_;
  EventQueue queue_;
  SimTime now_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  uint64_t events_handled_ = 0;
};

}  // namespace poisonsim::sim
