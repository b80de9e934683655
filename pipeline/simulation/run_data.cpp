#include "pipeline/simulation/run_data.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/data/data_source.h"
#include "pipeline/data/splits.h"
#include "pipeline/model/training.h"
#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_in_use.h"
#include "poisonsim_version.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/util/progress.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

// Everything the pretrained weights depend on; its hash names the cache file. Floating point
// makes the weights depend on the code and the machine too: poisonsim's and LibTorch's versions
// and the BLAS library and every library's kernel level (a kernel chosen for another CPU gives
// other last digits; in portable mode every machine has the same levels, so shares the entry).
std::string pretrain_key(const Scenario& s) {
  const auto& syn = s.data.synthetic;
  std::string path = s.data.path;
  std::error_code ec;
  if (!path.empty()) path = fs::absolute(path, ec).string();
  const BlasInfo blas = blas_info();
  return fmt::format(
      "v3|poisonsim {}|libtorch {}|{}|kernels {}|"
      "{}|{}|syn {} {} {} {} {} {}|split {} {} {}|seed {}|{}|pre {} {} {} {} {}|threads {}",
      POISONSIM_VERSION, libtorch_version(), blas.library, numerics_in_use().describe(),
      to_string(s.data.kind), path, syn.train_size, syn.test_size, syn.shape.str(), syn.num_classes,
      syn.noise, syn.seed, s.splits.pretrain, s.splits.validation, s.splits.attacker, s.seed,
      s.model.to_yaml(), s.pretrain.epochs, s.pretrain.learning_rate, s.pretrain.batch_size,
      s.pretrain.momentum, s.pretrain.weight_decay, s.train_threads);
}

}  // namespace

RunData load_run_data(const Scenario& s) {
  const auto files = load_data(s.data);
  if (files.train.shape != s.model.input && s.model.kind != ModelKind::torchscript)
    throw UserError(s.file + ": model", fmt::format("the model takes {} images but the data set "
                                                    "has {}",
                                                    s.model.input.str(), files.train.shape.str()));
  auto parts = split_dataset(files.train,
                             {{"pretrain", s.splits.pretrain},
                              {"validation", s.splits.validation},
                              {"attacker", s.splits.attacker},
                              {"attacker-validation", s.splits.attacker_validation},
                              {"stream", -1}},
                             s.seed, s.file + ": data.splits");
  RunData data;
  data.pretrain = std::move(parts[0]);
  data.validation = std::move(parts[1]);
  data.attacker_pool = std::move(parts[2]);
  data.attacker_validation = std::move(parts[3]);
  data.stream_pool = std::move(parts[4]);
  data.test = files.test;
  const auto wanted = s.evaluation.test_samples;
  if (wanted > 0 && static_cast<size_t>(wanted) < data.test.size()) {
    data.test = split_dataset(files.test, {{"evaluation", wanted}, {"unused", -1}}, s.seed,
                              s.file + ": evaluation.test_samples")[0];
  }
  return data;
}

std::string model_cache_dir() {
  if (const char* dir = std::getenv("POISONSIM_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (fs::path(xdg) / "poisonsim").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".cache" / "poisonsim").string();
  return (fs::temp_directory_path() / "poisonsim-cache").string();
}

TargetModel initial_model(const Scenario& s, const RunData& data) {
  if (s.model_file) {
    auto model = TargetModel::load(*s.model_file);
    if (model.spec().input != data.pretrain.shape)
      throw UserError(*s.model_file,
                      fmt::format("the model takes {} images but the data set has "
                                  "{}",
                                  model.spec().input.str(), data.pretrain.shape.str()));
    spdlog::info("initial model loaded from {}", *s.model_file);
    return model;
  }
  const std::string key = pretrain_key(s);
  const auto cache_file =
      fs::path(model_cache_dir()) / fmt::format("pretrained-{:016x}.pt", derive_seed(0, key));
  std::error_code ec;
  if (s.pretrain_cache && fs::exists(cache_file, ec)) {
    try {
      auto model = TargetModel::load(cache_file.string());
      spdlog::info("pretrained model loaded from cache {}", cache_file.string());
      return model;
    } catch (const UserError& e) {
      spdlog::warn("ignoring unreadable cache file ({}); pretraining again", e.what());
    }
  }
  auto model = TargetModel::create(s.model, derive_seed(s.seed, "model/init"));
  spdlog::info("pretraining {} on {} samples for {} epochs", model.spec().describe(),
               data.pretrain.size(), s.pretrain.epochs);
  TrainOptions options = s.pretrain;
  options.seed = derive_seed(s.seed, "pretrain");
  Progress progress("pretrain", static_cast<double>(options.epochs * data.pretrain.size()),
                    "samples");
  train_model(model, data.pretrain, options, &progress);
  progress.finish();
  if (s.pretrain_cache) {
    // Write then rename (sim/util/atomic_output.h), so a concurrent run never reads half a file;
    // concurrent writers each use a temporary of their own, the last rename winning.
    try {
      AtomicOutput(cache_file.string(), AtomicOutput::Existing::replace,
                   AtomicOutput::Temporary::unique)
          .commit_text(model.serialized());
      spdlog::info("pretrained model cached at {}", cache_file.string());
    } catch (const UserError& e) {
      spdlog::warn("could not cache the pretrained model ({})", e.what());
    }
  }
  return model;
}

TargetModel train_surrogate(const Scenario& scenario, const AttackerSpec& attacker,
                            const RunData& data) {
  auto model =
      TargetModel::create(scenario.model, derive_seed(scenario.seed, "surrogate/" + attacker.name));
  TrainOptions train = scenario.pretrain;
  train.seed = derive_seed(scenario.seed, "surrogate-train/" + attacker.name);
  spdlog::info("attacker {}: training a surrogate model on its {} samples", attacker.name,
               data.attacker_pool.size());
  train_model(model, data.attacker_pool, train);
  return model;
}

}  // namespace poisonsim
