#pragma once
// Settings of the numeric libraries that they read from the environment once, when they are
// loaded (before main runs), and that decide how fast everything trains:
// - OpenBLAS's kernel. Debian 12's OpenBLAS 0.3.21 does not recognise recent Intel CPUs
//   (Sapphire/Emerald Rapids) and falls back to its SSE3 "Prescott" kernels, several times slower
//   for LibTorch's training on those machines (docs/performance.md). OPENBLAS_CORETYPE picks
//   another kernel.
// - libgomp's wait policy. Idle OpenMP threads spin by default; on a shared 2-core machine a
//   spinning thread steals the core its partner needs and every parallel op collapses to a time
//   slice. OMP_WAIT_POLICY=passive makes them sleep (docs/performance.md has the measurements).
// No torch here: the CLI and the test mains call this before anything else.
#include <string>

namespace poisonsim {

// Called first in main(). When OpenBLAS runs a generic kernel on a CPU with AVX2 or AVX-512 and
// the user did not choose one, or when OMP_WAIT_POLICY is unset, sets those variables and
// re-executes the program once (same arguments) so that the libraries start with them. Returns
// normally when nothing has to change, when the user set the variables, or when the re-exec is
// impossible (blas_info() then reports the generic kernel, and the CLI warns).
// The numerics mode (numerics_mode.h) is decided here too: POISONSIM_NUMERICS, else the mode
// inherited from the parent process, else portable.
void prepare_numeric_environment(char** argv);

// The same variables, set by a process that has not loaded the libraries (the light front) for
// the engine it is about to start: the numerics mode's pins and the wait policy. OpenBLAS's
// kernel in native mode stays the engine's decision, since only a process that loaded OpenBLAS
// can see whether its own choice is generic.
void prepare_engine_environment();

// After a scenario is read: when it asks for a mode other than the one this process runs and
// POISONSIM_NUMERICS does not force one, re-executes the program (same command line) in the
// scenario's mode. Call it before any lock is taken or file written. Returns normally when nothing
// has to change, and on a CPU without AVX2 asked for portable (it runs native, as the provenance
// says); throws UserError (naming `where`) when the re-execution fails.
enum class NumericsMode;
void ensure_numerics_mode(NumericsMode wanted, const std::string& where);

// The variables poisonsim itself sets besides OPENBLAS_CORETYPE and OMP_WAIT_POLICY: the kernel
// it chose (so a re-executed process can tell its choice from the user's), and the guard
// against a second re-execution. Whoever starts poisonsim afresh (a benchmark, a test) clears
// them together with the libraries' variables.
extern const char* const kChosenBlasKernelVariable;
extern const char* const kNumericReexecVariable;

struct CpuInfo {
  std::string model;             // /proc/cpuinfo's model name
  std::string instruction_sets;  // the vector extensions that matter here: "avx2 avx512f ..."
  bool has_avx2 = false;
  bool has_avx512 = false;  // F, BW, DQ and VL: what OpenBLAS's SkylakeX kernels use
  bool has_avx512_bf16 = false;

  std::string describe() const;  // "<model> (<instruction sets>)"
};
// Read from /proc/cpuinfo once per process.
CpuInfo cpu_info();

// The OpenBLAS kernel for a CPU with these features ("" when no AVX2: leave OpenBLAS's choice).
std::string openblas_kernel_for(const CpuInfo& cpu);

struct BlasInfo {
  std::string library;        // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..." or "reference BLAS"
  std::string kernel;         // OpenBLAS's core name ("Cooperlake", "Prescott", ...); "" if unknown
  std::string kernel_source;  // who chose it: "poisonsim", "OPENBLAS_CORETYPE", "OpenBLAS"
  bool openblas = false;
  bool generic = false;         // a kernel without AVX on a CPU with AVX2 or AVX-512: far too slow
  std::string omp_wait_policy;  // OMP_WAIT_POLICY as libgomp read it ("" = libgomp's default)

  // One line for logs, the trace and inspect: "OpenBLAS 0.3.21, kernel Cooperlake (chosen by
  // poisonsim for this CPU), OpenMP wait policy passive".
  std::string describe() const;
};
BlasInfo blas_info();

// OpenBLAS's own thread count: set_openblas_threads is a no-op and openblas_threads() 1 with
// another BLAS (OpenBLAS is reached through libblas.so.3, so its functions are looked up).
void set_openblas_threads(int threads);
int openblas_threads();

// A warning to print when the BLAS is the reference one or runs a generic kernel ("" if fine).
std::string blas_warning(const BlasInfo& blas, const CpuInfo& cpu);

}  // namespace poisonsim
