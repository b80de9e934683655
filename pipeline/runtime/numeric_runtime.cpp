#include "pipeline/runtime/numeric_runtime.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "pipeline/runtime/numerics_mode.h"
#include "pipeline/runtime/provenance.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr const char* kDefaultWaitPolicy = "passive";

template <class Fn>
Fn find_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

std::string openblas_corename() {
  auto corename = find_symbol<char* (*)()>("openblas_get_corename");
  return corename ? std::string(corename()) : std::string();
}

// OpenBLAS kernels that use AVX or better; any other name is a fallback for much older CPUs.
bool kernel_uses_avx(const std::string& kernel) {
  static const std::set<std::string> avx_kernels = {
      "Sandybridge",    "Haswell",   "Zen",        "SkylakeX",    "Cooperlake",
      "SapphireRapids", "Bulldozer", "Piledriver", "Steamroller", "Excavator"};
  return avx_kernels.count(kernel) > 0;
}

std::set<std::string> cpu_flags(std::string* model) {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> flags;
  std::string line;
  bool have_flags = false;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (key == "model name" && model->empty()) *model = value;
    if (key == "flags" && !have_flags) {
      std::istringstream words(value);
      for (std::string flag; words >> flag;) flags.insert(flag);
      have_flags = true;
    }
  }
  return flags;
}

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

CpuInfo read_cpu_info() {
  CpuInfo cpu;
  const auto flags = cpu_flags(&cpu.model);
  if (cpu.model.empty()) cpu.model = "unknown CPU";
  auto has = [&](const char* flag) { return flags.count(flag) > 0; };
  cpu.has_avx2 = has("avx2") && has("fma");
  cpu.has_avx512 = has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl");
  cpu.has_avx512_bf16 = cpu.has_avx512 && has("avx512_bf16");
  static const std::array<const char*, 9> shown = {"avx",         "avx2",     "fma",
                                                   "avx512f",     "avx512bw", "avx512_vnni",
                                                   "avx512_bf16", "amx_bf16", "amx_tile"};
  for (const char* flag : shown) {
    if (!has(flag)) continue;
    if (!cpu.instruction_sets.empty()) cpu.instruction_sets += ' ';
    cpu.instruction_sets += flag;
  }
  if (cpu.instruction_sets.empty()) cpu.instruction_sets = "no AVX";
  return cpu;
}

}  // namespace

// Set (to the kernel's name) by prepare_numeric_environment before it re-executes, so the new
// process knows the kernel was poisonsim's choice and not the user's. Inherited by child
// processes (sweep runs), which then keep the same kernel without another re-exec.
const char* const kChosenBlasKernelVariable = "POISONSIM_CHOSEN_BLAS_KERNEL";
// How many times this process re-executed itself at start: a cap, should a library ignore the
// variables.
const char* const kNumericReexecVariable = "POISONSIM_NUMERIC_REEXEC";

CpuInfo cpu_info() {
  static const CpuInfo cpu = read_cpu_info();  // the CPU does not change while we run
  return cpu;
}

std::string CpuInfo::describe() const { return model + " (" + instruction_sets + ")"; }

std::string openblas_kernel_for(const CpuInfo& cpu) {
  // Cooperlake is SkylakeX plus bfloat16 kernels; its sgemm (what LibTorch uses) is the same.
  if (cpu.has_avx512_bf16) return "Cooperlake";
  if (cpu.has_avx512) return "SkylakeX";
  if (cpu.has_avx2) return "Haswell";
  return "";
}

namespace {

// Re-executions at the start of one process: one to set the variables, and one more when a change
// of mode leaves OpenBLAS to its own choice and that choice is a generic kernel.
constexpr int kMaxReexecs = 2;

int reexecs_so_far() {
  const char* count = environment(kNumericReexecVariable);
  return count ? std::atoi(count) : 0;
}

// OMP_WAIT_POLICY at our default when the user left it unset; true when it changed.
bool set_default_wait_policy() {
  if (environment("OMP_WAIT_POLICY")) return false;
  setenv("OMP_WAIT_POLICY", kDefaultWaitPolicy, 1);
  return true;
}

// The variables for `mode`; true when one that a library reads at load time changed.
bool configure_numeric_environment(NumericsMode mode) {
  bool changed = set_numerics_environment(mode);
  const std::string kernel = openblas_corename();
  if (mode == NumericsMode::native && !kernel.empty() && !environment("OPENBLAS_CORETYPE") &&
      !kernel_uses_avx(kernel)) {
    const std::string wanted = openblas_kernel_for(cpu_info());
    if (!wanted.empty()) {
      setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
      setenv(kChosenBlasKernelVariable, wanted.c_str(), 1);
      changed = true;
    }
  }
  if (find_symbol<void*>("omp_get_max_threads") && set_default_wait_policy()) changed = true;
  return changed;
}

// Returns only when the exec failed or the count is spent.
void reexecute(char** argv) {
  const int count = reexecs_so_far();
  if (count >= kMaxReexecs) return;
  setenv(kNumericReexecVariable, std::to_string(count + 1).c_str(), 1);
  execv("/proc/self/exe", argv);
  unsetenv(kNumericReexecVariable);
}

}  // namespace

void prepare_numeric_environment(char** argv) {
  if (configure_numeric_environment(starting_numerics_mode())) reexecute(argv);
  unsetenv(kNumericReexecVariable);  // our children make their own decision
}

void prepare_engine_environment() {
  set_numerics_environment(starting_numerics_mode());
  // The engine links libgomp (LibTorch, oneDNN): the front cannot ask it, so it sets the policy.
  set_default_wait_policy();
}

void ensure_numerics_mode(NumericsMode wanted, const std::string& where) {
  if (numerics_mode_forced() || wanted == numerics_mode()) return;
  if (wanted == NumericsMode::portable && !cpu_supports_portable(cpu_info())) return;
  configure_numeric_environment(wanted);
  const auto& arguments = recorded_command_line();
  if (arguments.empty())
    throw UserError(where, "cannot switch to " + to_string(wanted) +
                               " numerics: the command line was not recorded");
  std::vector<char*> argv;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  unsetenv(kNumericReexecVariable);
  reexecute(argv.data());
  throw UserError(
      where, fmt::format("cannot switch to {} numerics: re-executing {} failed ({}); "
                         "set POISONSIM_NUMERICS={} and run again",
                         to_string(wanted), arguments[0], std::strerror(errno), to_string(wanted)));
}

BlasInfo blas_info() {
  BlasInfo blas;
  auto get_config = find_symbol<char* (*)()>("openblas_get_config");
  blas.openblas = get_config != nullptr;
  blas.library = blas.openblas ? std::string(get_config()) : std::string("reference BLAS");
  blas.kernel = openblas_corename();
  const char* user_choice = environment("OPENBLAS_CORETYPE");
  const char* our_choice = environment(kChosenBlasKernelVariable);
  if (!blas.openblas)
    blas.kernel_source = "";
  else if (user_choice && our_choice && std::strcmp(user_choice, our_choice) == 0)
    blas.kernel_source = "poisonsim";
  else if (user_choice)
    blas.kernel_source = "OPENBLAS_CORETYPE";
  else
    blas.kernel_source = "OpenBLAS";
  blas.generic = blas.openblas && !blas.kernel.empty() && !kernel_uses_avx(blas.kernel);
  const char* policy = environment("OMP_WAIT_POLICY");
  blas.omp_wait_policy = policy ? policy : "";
  return blas;
}

std::string BlasInfo::describe() const {
  std::string text = library;
  if (!kernel.empty()) {
    text += ", kernel " + kernel;
    if (kernel_source == "poisonsim" && numerics_mode() == NumericsMode::portable)
      text += " (pinned by portable numerics)";
    else if (kernel_source == "poisonsim")
      text += " (chosen by poisonsim for this CPU)";
    else if (kernel_source == "OPENBLAS_CORETYPE")
      text += " (set by OPENBLAS_CORETYPE)";
    else
      text += " (detected by OpenBLAS)";
  }
  text += ", OpenMP wait policy " + (omp_wait_policy.empty() ? "libgomp default" : omp_wait_policy);
  return text;
}

void set_openblas_threads(int threads) {
  if (auto set_threads = find_symbol<void (*)(int)>("openblas_set_num_threads"))
    set_threads(threads);
}

int openblas_threads() {
  auto get_threads = find_symbol<int (*)()>("openblas_get_num_threads");
  return get_threads ? get_threads() : 1;
}

std::string blas_warning(const BlasInfo& blas, const CpuInfo& cpu) {
  if (!blas.openblas)
    return "the reference BLAS is in use: training is about 10x slower than with OpenBLAS "
           "(run tools/scripts/setup.sh)";
  if (blas.generic && (cpu.has_avx2 || cpu.has_avx512))
    return "OpenBLAS runs its generic " + blas.kernel + " kernel on a CPU with " +
           (cpu.has_avx512 ? "AVX-512" : "AVX2") + " (" + cpu.model +
           "): training is several times slower than it should be; unset OPENBLAS_CORETYPE "
           "to let poisonsim choose, or set it to " +
           openblas_kernel_for(cpu);
  return "";
}

}  // namespace poisonsim
