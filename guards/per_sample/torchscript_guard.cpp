#include "guards/per_sample/torchscript_guard.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <torch/script.h>

#include "pipeline/data/dataset.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

torch::jit::Module load_module(const std::string& bytes, const std::string& file) {
  std::istringstream in(bytes);
  try {
    auto module = torch::jit::load(in, torch::kCPU);
    module.eval();
    return module;
  } catch (const std::exception& e) {
    throw UserError(file, fmt::format("not a TorchScript archive (expected a file saved by "
                                      "torch.jit.script(...).save()): {}",
                                      first_line(e.what())));
  }
}

bool wants(const std::vector<ScoreInput>& inputs, ScoreInput input) {
  return std::find(inputs.begin(), inputs.end(), input) != inputs.end();
}

}  // namespace

void check_torchscript_archive(const std::string& bytes, const std::string& file) {
  load_module(bytes, file);
}

struct TorchScriptGuard::Module {
  torch::jit::Module script;
  LastLayer last_layer;  // the deployed model's, for `logits`
};

TorchScriptGuard::TorchScriptGuard(TorchScriptGuardOptions options)
    : options_(std::move(options)),
      module_(std::make_unique<Module>(
          Module{load_module(*options_.module_bytes, options_.file), {}})) {}

TorchScriptGuard::~TorchScriptGuard() = default;

GuardNeeds TorchScriptGuard::needs() const {
  GuardNeeds needs;
  needs.features =
      wants(options_.inputs, ScoreInput::features) || wants(options_.inputs, ScoreInput::logits);
  return needs;
}

void TorchScriptGuard::attach(const GuardContext& context) {
  context_ = &context;
  on_deploy();
}

void TorchScriptGuard::on_deploy() {
  if (!context_ || !wants(options_.inputs, ScoreInput::logits)) return;
  module_->last_layer = context_->last_layer();
}

void TorchScriptGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  if (n == 0) return;
  const auto rows = static_cast<int64_t>(n);
  if (needs().features && !samples[0].features)
    throw UserError(options_.file,
                    "input features or logits needs an mlp or cnn target model "
                    "(the deployed model's features)");
  if (wants(options_.inputs, ScoreInput::images) && !context_)
    throw UserError(options_.file, "input images: no guard context (the image shape)");
  std::vector<torch::jit::IValue> arguments;
  for (const ScoreInput input : options_.inputs) {
    switch (input) {
      case ScoreInput::losses: {
        auto t = torch::empty({rows}, torch::kFloat32);
        for (size_t i = 0; i < n; ++i) t.data_ptr<float>()[i] = samples[i].loss;
        arguments.emplace_back(t);
        break;
      }
      case ScoreInput::labels:
      case ScoreInput::predictions: {
        auto t = torch::empty({rows}, torch::kInt64);
        for (size_t i = 0; i < n; ++i)
          t.data_ptr<int64_t>()[i] =
              input == ScoreInput::labels ? samples[i].label : samples[i].prediction;
        arguments.emplace_back(t);
        break;
      }
      case ScoreInput::images: {
        const auto& s = context_->trusted().shape;
        auto t = torch::empty({rows, s.channels, s.height, s.width}, torch::kFloat32);
        for (size_t i = 0; i < n; ++i)
          std::copy(samples[i].image, samples[i].image + s.numel(),
                    t.data_ptr<float>() + static_cast<int64_t>(i) * s.numel());
        arguments.emplace_back(t);
        break;
      }
      case ScoreInput::features:
      case ScoreInput::logits: {
        const int64_t d = samples[0].feature_dim;
        auto t = torch::empty({rows, d}, torch::kFloat32);
        for (size_t i = 0; i < n; ++i)
          std::copy(samples[i].features, samples[i].features + d,
                    t.data_ptr<float>() + static_cast<int64_t>(i) * d);
        if (input == ScoreInput::logits)  // the logits a Python stage is given, to the bit
          t = torch::tensor(logits_of(t.data_ptr<float>(), n, module_->last_layer))
                  .reshape({rows, module_->last_layer.num_classes});
        arguments.emplace_back(t);
        break;
      }
    }
  }
  torch::NoGradGuard no_grad;
  torch::jit::IValue out;
  try {
    out = module_->script.forward(arguments);
  } catch (const std::exception& e) {
    throw UserError(options_.file,
                    fmt::format("forward() failed on a batch of {}: {}", n, first_line(e.what())));
  }
  if (!out.isTensor())
    throw UserError(options_.file, fmt::format("forward() returned a {}, expected a tensor of "
                                               "{} scores, one per sample",
                                               out.tagKind(), n));
  auto scores = out.toTensor();
  const bool one_column = scores.dim() == 2 && scores.size(1) == 1;
  if (!((scores.dim() == 1 || one_column) && scores.size(0) == rows) || scores.is_complex())
    throw UserError(options_.file,
                    fmt::format("forward() returned shape [{}] for a batch of {}, expected [{}]: "
                                "one score per sample",
                                fmt::join(scores.sizes(), ", "), n, n));
  scores = scores.reshape({rows}).to(torch::kFloat64).contiguous();
  const double* score = scores.data_ptr<double>();
  for (size_t i = 0; i < n; ++i) {
    const double s = score[i];
    const bool accept =
        std::isfinite(s) &&
        (options_.rule == ScoreRule::above ? s <= options_.threshold : s >= options_.threshold);
    verdicts[i] = accept ? Verdict::accept : Verdict::reject;
  }
}

double TorchScriptGuard::threshold() const {
  const bool loss_rule = options_.inputs == std::vector<ScoreInput>{ScoreInput::losses} &&
                         options_.rule == ScoreRule::above;
  return loss_rule ? options_.threshold : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace poisonsim
