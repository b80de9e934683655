#include "tools/bench/op_profile.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <set>

#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/torch.h>

#include "sim/util/text.h"

namespace poisonsim::bench {
namespace {

namespace profiler = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

// Self times of one thread's events, whose nesting the profiler gives only as time intervals
// (its event tree needs Kineto's headers, which Debian does not ship): an event is inside the
// latest-starting open event that ends no earlier. Microsecond resolution.
struct Span {
  const profiler::KinetoEvent* event;
  uint64_t start, end;
};

// Adds each span's self time to `by_name`; returns their sum (the time inside operators).
double add_self_times(std::vector<Span> spans, std::map<std::string, OpTime>& by_name) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::vector<double> children(spans.size(), 0.0);
  std::vector<size_t> open;
  for (size_t i = 0; i < spans.size(); ++i) {
    while (!open.empty() && spans[open.back()].end < spans[i].end) open.pop_back();
    if (!open.empty())
      children[open.back()] += 1e-6 * static_cast<double>(spans[i].end - spans[i].start);
    open.push_back(i);
  }
  double inside = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    auto& op = by_name[spans[i].event->name()];
    const double seconds = 1e-6 * static_cast<double>(spans[i].end - spans[i].start);
    // Rounding can make an operator's children outlast it by a microsecond or so.
    const double self = std::max(0.0, seconds - children[i]);
    op.self_seconds += self;
    inside += self;
    ++op.calls;
  }
  return inside;
}

bool is_user_scope(const profiler::KinetoEvent& event) {
  return event.scope() == static_cast<uint8_t>(at::RecordScope::USER_SCOPE);
}

// Each named phase's time, and the FLOPs of the operators that start inside one of its runs.
std::vector<PhaseTime> phase_times(const std::vector<profiler::KinetoEvent>& events) {
  std::vector<PhaseTime> phases;
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> runs;  // sorted below
  for (const auto& event : events) {
    if (!is_user_scope(event)) continue;
    const auto name = event.name();
    auto it = std::find_if(phases.begin(), phases.end(),
                           [&](const PhaseTime& p) { return p.name == name; });
    if (it == phases.end()) it = phases.insert(phases.end(), PhaseTime{name});
    ++it->calls;
    it->seconds += 1e-6 * static_cast<double>(event.durationUs());
    runs[name].emplace_back(event.startUs(), event.startUs() + event.durationUs());
  }
  for (auto& [name, intervals] : runs) std::sort(intervals.begin(), intervals.end());
  for (const auto& event : events) {
    if (is_user_scope(event) || event.flops() == 0) continue;
    for (auto& phase : phases) {
      const auto& intervals = runs[phase.name];
      // The last run that started no later than the operator; runs of one phase never overlap.
      auto it = std::upper_bound(intervals.begin(), intervals.end(),
                                 std::make_pair(event.startUs(), UINT64_MAX));
      if (it != intervals.begin() && event.startUs() <= std::prev(it)->second)
        phase.flops += static_cast<double>(event.flops());
    }
  }
  return phases;
}

}  // namespace

std::string op_category(const std::string& name) {
  static const std::set<std::string> matrix{"aten::mm",    "aten::addmm",   "aten::addmm_",
                                            "aten::bmm",   "aten::baddbmm", "aten::mv",
                                            "aten::addmv", "aten::dot"};
  static const std::set<std::string> memory{"aten::empty",
                                            "aten::empty_like",
                                            "aten::empty_strided",
                                            "aten::zeros",
                                            "aten::zeros_like",
                                            "aten::zero_",
                                            "aten::fill_",
                                            "aten::copy_",
                                            "aten::clone",
                                            "aten::contiguous",
                                            "aten::resize_",
                                            "aten::as_strided",
                                            "aten::as_strided_",
                                            "aten::view",
                                            "aten::reshape",
                                            "aten::_reshape_alias",
                                            "aten::t",
                                            "aten::transpose",
                                            "aten::expand",
                                            "aten::detach",
                                            "aten::detach_",
                                            "aten::select",
                                            "aten::narrow",
                                            "aten::slice",
                                            "aten::index_select",
                                            "aten::cat",
                                            "aten::stack",
                                            "aten::flatten",
                                            "aten::unsqueeze",
                                            "aten::squeeze",
                                            "aten::permute",
                                            "aten::to",
                                            "aten::_to_copy",
                                            "aten::lift_fresh",
                                            "aten::alias",
                                            "aten::resolve_conj",
                                            "aten::resolve_neg",
                                            "aten::ones_like",
                                            "aten::ones",
                                            "aten::new_empty_strided",
                                            "detach",
                                            "aten::linear",
                                            "aten::matmul"};  // the last two only dispatch
  if (matrix.count(name)) return "matrix products";
  if (name.find("conv") != std::string::npos) return "convolutions";
  if (starts_with(name, "autograd::") || starts_with(name, "torch::autograd::") ||
      ends_with(name, "Backward0") || ends_with(name, "Backward1"))
    return "autograd engine";
  if (memory.count(name)) return "copies, views and allocation";
  return "elementwise and reductions";
}

std::map<std::string, double> OpProfile::category_seconds() const {
  std::map<std::string, double> out;
  for (const auto& op : ops) out[op.category] += op.self_seconds;
  out["outside operators"] += outside_seconds;
  return out;
}

OpProfile profile_ops(const std::function<void()>& work) {
  const ProfilerConfig config(ProfilerState::KINETO, /*report_input_shapes=*/true,
                              /*profile_memory=*/false, /*with_stack=*/false,
                              /*with_flops=*/true);
  const std::set<ActivityType> activities{ActivityType::CPU};
  profiler::prepareProfiler(config, activities);
  profiler::enableProfiler(config, activities);
  const auto start = std::chrono::steady_clock::now();
  try {
    work();
  } catch (...) {
    profiler::disableProfiler();
    throw;
  }
  OpProfile out;
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto result = profiler::disableProfiler();

  const uint64_t caller = at::RecordFunction::currentThreadId();
  for (const auto& event : result->events()) {
    // Every thread's operators count here (an at::parallel_for hands ours to other threads).
    out.counted_flops += static_cast<double>(event.flops());
    if (op_category(event.name()) == "convolutions") out.convolutions_ran = true;
  }
  std::vector<Span> spans;
  for (const auto& event : result->events())
    if (event.startThreadId() == caller && !is_user_scope(event))
      spans.push_back({&event, event.startUs(), event.startUs() + event.durationUs()});
  std::map<std::string, OpTime> by_name;
  const double inside = add_self_times(std::move(spans), by_name);
  // Microsecond rounding of the profiler's events: the operators' time never exceeds the wall
  // time reported.
  out.wall_seconds = std::max(out.wall_seconds, inside);
  out.outside_seconds = out.wall_seconds - inside;
  out.phases = phase_times(result->events());
  for (auto& [name, op] : by_name) {
    op.name = name;
    op.category = op_category(name);
    out.ops.push_back(op);
  }
  std::sort(out.ops.begin(), out.ops.end(),
            [](const OpTime& a, const OpTime& b) { return a.self_seconds > b.self_seconds; });
  return out;
}

Measured libtorch_matrix_product(int64_t m, int64_t k, int64_t n, bool bf16) {
  const auto type = bf16 ? torch::kBFloat16 : torch::kFloat32;
  const auto a = torch::rand({m, k}).to(type);
  const auto b = torch::rand({k, n}).to(type);
  return {[a, b] {
            torch::NoGradGuard no_grad;
            (void)torch::mm(a, b);
          },
          2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n),
          {}};
}

}  // namespace poisonsim::bench
