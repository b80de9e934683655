// Stop signals (sim/util/stop_signal.h): the threads a job starts after installing the handlers
// have them blocked, so none lands in a library's computation, and a signal sent to the process
// still reaches stop_signal() through the thread that takes them.
#include "sim/util/stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace poisonsim {
namespace {

TEST(StopSignal, LaterThreadsBlockItAndItStillArrives) {
  install_stop_handlers("stopping (a test)");
  sigset_t in_worker;
  sigemptyset(&in_worker);
  std::thread([&] { pthread_sigmask(SIG_BLOCK, nullptr, &in_worker); }).join();
  for (int signal : {SIGINT, SIGTERM, SIGHUP})
    EXPECT_EQ(sigismember(&in_worker, signal), 1) << signal_name(signal);
  ASSERT_EQ(stop_signal(), 0);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);  // the default action would end this test
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stop_signal() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(stop_signal(), SIGTERM);
  ::kill(::getpid(), SIGINT);  // a second one changes nothing
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(stop_signal(), SIGTERM);
}

}  // namespace
}  // namespace poisonsim
