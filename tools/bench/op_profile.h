#pragma once
// The LibTorch side of `poisonsim bench generator` (G's roofline), kept out of the CLI's other
// sources: where a piece of LibTorch work spends its time, operator by operator, and how many
// floating-point operations it does (LibTorch's own profiler, with FLOP counting, around one
// call); and LibTorch's matrix product at one shape, the roof of small-matrix training.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tools/bench/measured_rate.h"

namespace poisonsim::bench {

struct OpTime {
  std::string name;         // the operator, e.g. "aten::addmm", "AddmmBackward0"
  std::string category;     // op_category(name)
  double self_seconds = 0;  // inside this operator but not inside the operators it called
  int64_t calls = 0;
};

// A phase the profiled code names with RECORD_USER_SCOPE (G's training names the parts of a
// step): its time, the operators' FLOPs inside it (any thread), how often it ran.
struct PhaseTime {
  std::string name;
  int64_t calls = 0;
  double seconds = 0;  // inclusive
  double flops = 0;
};

struct OpProfile {
  double wall_seconds = 0;  // the profiled call, the profiler's own overhead included
  // FLOPs of the operators LibTorch's profiler counts (mm, addmm, bmm; conv2d forward only when
  // its padding is given per side): exact for MLPs, a lower bound where convolutions run.
  double counted_flops = 0;
  bool convolutions_ran = false;  // then counted_flops is a lower bound
  std::vector<OpTime> ops;        // the calling thread's operators, most self time first
  std::vector<PhaseTime> phases;  // in order of first appearance
  // The calling thread's time outside every operator: our own C++ (batching, RNG, bookkeeping)
  // and the profiler's overhead between operators.
  double outside_seconds = 0;
  // Self seconds per category (op_category), outside_seconds under "outside operators".
  std::map<std::string, double> category_seconds() const;
};

// "matrix products", "convolutions", "autograd engine", "copies, views and allocation" (with
// aten::linear and aten::matmul, which only dispatch to a product) or "elementwise and
// reductions".
std::string op_category(const std::string& op_name);

// Runs `work` once under LibTorch's profiler. Operators that other threads run (an
// at::parallel_for in our own code) count toward counted_flops but not toward the time table,
// whose parts then add up to the calling thread's wall time.
OpProfile profile_ops(const std::function<void()>& work);

// C = A B at (m x k) (k x n) through LibTorch, as training multiplies, without gradients, in f32
// (OpenBLAS) or bf16 (whatever LibTorch dispatches bf16 to); work = its 2 m k n floating-point
// operations.
Measured libtorch_matrix_product(int64_t m, int64_t k, int64_t n, bool bf16 = false);

}  // namespace poisonsim::bench
