#pragma once
// Thread settings of the numeric libraries, all in one place. LibTorch (OpenMP) and OpenBLAS (its
// own pthreads) each start one thread per core; together they oversubscribe the cores and run
// several times slower than either alone (docs/performance.md has the measurements). We keep
// OpenBLAS single-threaded and let LibTorch own the parallelism.
#include <string>

namespace poisonsim {

// Sets LibTorch's intra-op threads to `threads` (0: one per core) and OpenBLAS's to 1.
void configure_compute_threads(int threads);

// LibTorch's intra-op threads only (the simulation fixes them per scenario: results of training
// can depend on the thread count, and a run must not).
void set_torch_threads(int threads);
// LibTorch's intra-op threads now.
int torch_threads();

// The BLAS library, its kernel and wait policy (numeric_runtime.h), with the thread counts.
std::string describe_blas();

// "1.13.0": LibTorch's version, as its headers state it.
std::string libtorch_version();

// oneDNN and LibTorch share libgomp. When scoring runs inside oneTBB tasks, each task keeps
// OpenMP to one thread: TBB supplies the parallelism, the cores are not oversubscribed, and a
// batch's result never depends on how many threads there are.
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
