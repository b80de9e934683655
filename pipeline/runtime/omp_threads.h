#pragma once
// oneDNN and LibTorch share libgomp. When scoring runs inside oneTBB tasks, each task keeps
// OpenMP to one thread: TBB supplies the parallelism, the cores are not oversubscribed, and a
// batch's result never depends on how many threads there are.
namespace poisonsim {

class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads);  // for the calling thread only
  ~ScopedOmpThreads();
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
};

}  // namespace poisonsim
