#include "tools/sweep/mpi_sweep.h"

#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/util/error.h"
#include "sim/util/progress.h"

namespace poisonsim {
namespace {

// Ranks other than 0 send {kind, run id} to rank 0; rank 0 answers a request with a run id, or
// -1 when none is left.
constexpr int kTagToRoot = 1;
constexpr int kTagAssign = 2;
enum Kind : int64_t { kRequest = 1, kRunEnded = 2, kIdle = 3 };

void send_to_root(Kind kind, int64_t run) {
  const int64_t message[2] = {kind, run};
  MPI_Send(message, 2, MPI_INT64_T, 0, kTagToRoot, MPI_COMM_WORLD);
}

int cores_of_this_rank() {
  cpu_set_t mine;
  CPU_ZERO(&mine);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) return available_cores();
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int ranks = 1;
  MPI_Comm_size(node, &ranks);
  std::vector<cpu_set_t> all(static_cast<size_t>(ranks));
  MPI_Allgather(&mine, sizeof mine, MPI_BYTE, all.data(), sizeof mine, MPI_BYTE, node);
  MPI_Comm_free(&node);
  int sharing = 0;
  for (const auto& other : all) sharing += CPU_EQUAL(&other, &mine) ? 1 : 0;
  return std::max(1, CPU_COUNT(&mine) / std::max(1, sharing));
}

// Any error once the ranks depend on each other: waiting ranks would hang, so abort them all.
[[noreturn]] void abort_all(const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, dynamic_cast<const UserError*>(&e) ? 2 : 1);
  std::abort();
}

// Rank 0's side of the sweep, besides running its own share: what it has handed out and what
// the ranks have reported.
struct RootState {
  std::deque<int64_t> todo;  // runs not yet started anywhere, in id order
  size_t done = 0;           // runs finished (or reused), for the progress bar
  int idle = 0;              // ranks that have asked for work and been told there is none left
};

// Answers one message from another rank, if one is waiting: a request gets the next run id (or
// -1), a finished run advances the progress. Returns whether there was a message.
bool serve_one_message(RootState& state, Progress& progress) {
  int waiting = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, kTagToRoot, MPI_COMM_WORLD, &waiting, &status);
  if (!waiting) return false;
  int64_t message[2];
  MPI_Recv(message, 2, MPI_INT64_T, status.MPI_SOURCE, kTagToRoot, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  if (message[0] == kRequest) {
    int64_t run = -1;
    if (!state.todo.empty()) {
      run = state.todo.front();
      state.todo.pop_front();
    }
    MPI_Send(&run, 1, MPI_INT64_T, status.MPI_SOURCE, kTagAssign, MPI_COMM_WORLD);
  } else if (message[0] == kRunEnded) {
    progress.update(static_cast<double>(++state.done));
  } else if (message[0] == kIdle) {
    ++state.idle;
  }
  return true;
}

// Rank 0: keeps its own slots full from the front of `todo` and serves the other ranks until
// every run has ended and every other rank has gone idle.
void run_as_root(RootState& state, int ranks, const SweepRunLauncher& launcher, ChildPool& pool,
                 Progress& progress) {
  progress.update(static_cast<double>(state.done));
  while (!state.todo.empty() || pool.running() > 0 || state.idle < ranks - 1) {
    while (!state.todo.empty() && pool.running() < static_cast<size_t>(launcher.jobs())) {
      launcher.started(state.todo.front());
      pool.start(launcher.command(state.todo.front()), static_cast<size_t>(state.todo.front()));
      state.todo.pop_front();
    }
    const bool busy = serve_one_message(state, progress);
    if (const auto child = pool.wait(std::chrono::milliseconds(busy ? 0 : 10))) {
      launcher.finished(static_cast<int64_t>(child->tag), *child);
      progress.update(static_cast<double>(++state.done));
    } else if (!busy && pool.running() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // only serving: no spin
    }
  }
}

// Every other rank: asks rank 0 for a run whenever a slot is free, reports each run that ends,
// and says it is idle once rank 0 has none left and its own runs have ended.
void run_as_worker(const SweepRunLauncher& launcher, ChildPool& pool) {
  bool exhausted = false;
  while (true) {
    while (!exhausted && pool.running() < static_cast<size_t>(launcher.jobs())) {
      send_to_root(kRequest, 0);
      int64_t run = -1;
      MPI_Recv(&run, 1, MPI_INT64_T, 0, kTagAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (run < 0) {
        exhausted = true;
      } else {
        launcher.started(run);
        pool.start(launcher.command(run), static_cast<size_t>(run));
      }
    }
    if (exhausted && pool.running() == 0) break;
    if (const auto child = pool.wait(std::chrono::hours(24))) {
      launcher.finished(static_cast<int64_t>(child->tag), *child);
      send_to_root(kRunEnded, static_cast<int64_t>(child->tag));
    }
  }
  send_to_root(kIdle, 0);
}

}  // namespace

bool built_with_mpi() { return true; }

MpiSweep::MpiSweep() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  cores_ = cores_of_this_rank();
}

MpiSweep::~MpiSweep() {
  if (!finalized_) MPI_Finalize();
}

void MpiSweep::all_or_none(const std::exception_ptr& error) {
  int failed = error ? 1 : 0;
  std::vector<int> all(static_cast<size_t>(size_));
  MPI_Allgather(&failed, 1, MPI_INT, all.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int first = -1;
  for (int r = 0; r < size_ && first < 0; ++r)
    if (all[static_cast<size_t>(r)]) first = r;
  if (first < 0) return;
  MPI_Finalize();
  finalized_ = true;
  if (rank_ == first) std::rethrow_exception(error);
  // Exit code 0: mpirun ends the job (killing the others) when a rank fails, and this one must
  // not cut short the rank that prints the error; that rank's code 2 is mpirun's.
  std::fflush(stdout);
  std::exit(0);
}

SweepOutcome MpiSweep::run(const SweepPlan& plan, const SweepRunnerOptions& base) {
  const auto start = std::chrono::steady_clock::now();
  SweepRunnerOptions options = base;
  if (options.cores == 0) options.cores = cores_;
  SweepOutcome outcome;
  outcome.processes = size_;
  outcome.runs = plan.runs.size();

  // Rank 0 alone touches the parts directory before the runs; the others wait to hear it worked.
  RootState root;
  std::exception_ptr error;
  if (rank_ == 0) {
    try {
      const auto ids = prepare_sweep_parts(plan, options, outcome.reused);
      root.todo.assign(ids.begin(), ids.end());
    } catch (const UserError&) {
      error = std::current_exception();
    }
  }
  all_or_none(error);

  const SweepRunLauncher launcher(plan, options, fmt::format("rank {}/{}", rank_, size_));
  outcome.jobs = launcher.jobs();
  ChildPool pool;
  try {
    if (rank_ == 0) {
      spdlog::info(
          "{} runs to do over {} ranks, {} at a time on rank 0 ({} scoring threads "
          "each); runs write into {}",
          root.todo.size(), size_, launcher.jobs(), launcher.threads(), launcher.parts());
      Progress progress(
          "sweep", static_cast<double>(outcome.runs), "runs",
          options.show_progress ? Progress::Style::automatic : Progress::Style::silent);
      root.done = outcome.reused;
      run_as_root(root, size_, launcher, pool, progress);
      progress.finish();
      finish_sweep(plan, options, outcome);
    } else {
      run_as_worker(launcher, pool);
    }
  } catch (const std::exception& e) {
    abort_all(e);
  }
  outcome.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace poisonsim
