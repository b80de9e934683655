#include "sim/kernel/kernel.h"

#include <cmath>

#include <gtest/gtest.h>

#include "sim/kernel/random_stream.h"

namespace poisonsim::sim {
namespace {

// Records every event it handles as "name:kind@time".
class Recorder : public Process {
 public:
  Recorder(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  const std::string& name() const override { return name_; }
  void start(Kernel&) override {}
  void handle(Kernel& kernel, const Event& event) override {
    log_.push_back(name_ + ":" + std::to_string(event.kind) + "@" +
                   std::to_string(static_cast<int>(kernel.now())));
  }

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

TEST(EventQueue, OrdersByTimeThenPriorityThenSequence) {
  EventQueue queue;
  queue.push({2.0, 0, 0, 0, 1, 0});
  queue.push({1.0, 5, 0, 0, 2, 0});
  queue.push({1.0, 0, 0, 0, 3, 0});
  queue.push({1.0, 0, 0, 0, 4, 0});  // same time and priority as kind 3: scheduled later
  std::vector<int> kinds;
  while (auto e = queue.pop()) kinds.push_back(e->kind);
  EXPECT_EQ(kinds, (std::vector<int>{3, 4, 2, 1}));
}

TEST(EventQueue, CancelRemovesOnlyThatEvent) {
  EventQueue queue;
  const auto a = queue.push({1.0, 0, 0, 0, 1, 0});
  queue.push({1.0, 0, 0, 0, 2, 0});
  EXPECT_TRUE(queue.cancel(a));
  EXPECT_FALSE(queue.cancel(a));
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.pop()->kind, 2);
  EXPECT_THROW(queue.push({NAN, 0, 0, 0, 0, 0}), std::invalid_argument);
}

TEST(EventQueue, RestoreContinuesTheSameOrder) {
  EventQueue queue;
  for (int i = 0; i < 5; ++i) queue.push({static_cast<double>(5 - i), 0, 0, 0, i, 0});
  EventQueue copy;
  copy.restore(queue.pending(), queue.next_sequence());
  queue.push({3.0, 0, 0, 0, 9, 0});
  copy.push({3.0, 0, 0, 0, 9, 0});
  while (!queue.empty()) {
    const auto a = queue.pop(), b = copy.pop();
    EXPECT_EQ(a->kind, b->kind);
    EXPECT_EQ(a->sequence, b->sequence);
  }
}

TEST(Kernel, RunsEventsInOrderUpToTheHorizon) {
  std::vector<std::string> log;
  Kernel kernel;
  const auto a = kernel.add(std::make_unique<Recorder>("a", log));
  const auto b = kernel.add(std::make_unique<Recorder>("b", log));
  kernel.schedule_at(3, a, 1);
  kernel.schedule_at(1, b, 2, /*priority=*/1);
  kernel.schedule_at(1, a, 3, /*priority=*/0);
  kernel.schedule_at(10, a, 4);
  kernel.run(5);
  EXPECT_EQ(log, (std::vector<std::string>{"a:3@1", "b:2@1", "a:1@3"}));
  EXPECT_DOUBLE_EQ(kernel.now(), 5);
  EXPECT_EQ(kernel.queue().size(), 1u);
  kernel.run(20);
  EXPECT_EQ(log.back(), "a:4@10");
  EXPECT_THROW(kernel.schedule_at(1, a, 0), std::logic_error);
}

// A Poisson arrival process: reschedules itself, draws from its own named stream.
class Arrivals : public Process {
 public:
  Arrivals(std::string name, uint64_t seed, std::vector<double>& times)
      : name_(std::move(name)), rng_(seed, name_), times_(times) {}
  const std::string& name() const override { return name_; }
  void start(Kernel& kernel) override { schedule(kernel); }
  void handle(Kernel& kernel, const Event&) override {
    times_.push_back(kernel.now());
    schedule(kernel);
  }

 private:
  void schedule(Kernel& kernel) { kernel.schedule_in(rng_.exponential(2.0), id(), 0); }
  std::string name_;
  RandomStream rng_;
  std::vector<double>& times_;
};

TEST(Kernel, SameSeedSameTrajectoryAndStreamsAreIndependent) {
  auto run = [](bool with_second_process) {
    std::vector<double> first, second;
    Kernel kernel;
    kernel.add(std::make_unique<Arrivals>("stream-a", 42, first));
    if (with_second_process) kernel.add(std::make_unique<Arrivals>("stream-b", 42, second));
    kernel.run(50);
    return first;
  };
  const auto alone = run(false);
  EXPECT_GT(alone.size(), 50u);
  EXPECT_EQ(alone, run(false));
  // Adding another component does not change this one's random numbers.
  EXPECT_EQ(alone, run(true));
}

TEST(Kernel, StopEndsTheRunAfterTheCurrentEvent) {
  class Stopper : public Process {
   public:
    const std::string& name() const override { return name_; }
    void start(Kernel& kernel) override {
      for (int i = 1; i <= 5; ++i) kernel.schedule_at(i, 0, i);
    }
    void handle(Kernel& kernel, const Event& event) override {
      handled.push_back(event.kind);
      if (event.kind == 2) kernel.stop();
    }
    std::vector<int> handled;
    std::string name_ = "stopper";
  };
  Kernel kernel;
  auto stopper = std::make_unique<Stopper>();
  auto* raw = stopper.get();
  kernel.add(std::move(stopper));
  kernel.run(100);
  EXPECT_EQ(raw->handled, (std::vector<int>{1, 2}));
  EXPECT_TRUE(kernel.stopped());
  EXPECT_DOUBLE_EQ(kernel.now(), 2);
}

// A stop asked for from outside (a signal) ends the run before the next event, which stays
// queued with its time: a checkpoint then saves it, and a later run() handles it first.
TEST(Kernel, StopBeforeLeavesTheNextEventQueued) {
  std::vector<std::string> log;
  Kernel kernel;
  kernel.add(std::make_unique<Recorder>("r", log));
  for (int i = 1; i <= 4; ++i) kernel.schedule_at(i, 0, i);
  bool stop = false;
  kernel.run(
      100, [&](const Event& event) { stop = event.kind == 2; }, [&] { return stop; });
  EXPECT_EQ(log, (std::vector<std::string>{"r:1@1", "r:2@2"}));
  EXPECT_TRUE(kernel.stopped());
  EXPECT_DOUBLE_EQ(kernel.now(), 2);
  ASSERT_NE(kernel.queue().peek(), nullptr);
  EXPECT_EQ(kernel.queue().peek()->kind, 3);
  kernel.run(100);
  EXPECT_EQ(log, (std::vector<std::string>{"r:1@1", "r:2@2", "r:3@3", "r:4@4"}));
}

}  // namespace
}  // namespace poisonsim::sim
