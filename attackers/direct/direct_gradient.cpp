#include "attackers/direct/direct_gradient.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include <fmt/format.h>

#include "attackers/common/evasion_torch.h"
#include "attackers/common/seed_samples.h"
#include "attackers/direct/direct_gradient_torch.h"
#include "attackers/direct/factored_torch.h"
#include "pipeline/model/torch_model.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"
#include "sim/util/progress.h"

namespace poisonsim {
namespace {

namespace F = torch::nn::functional;

// Per-sample L2 normalisation: every sample moves by step_size per iteration whatever the group
// size (the group loss is a mean, so raw per-sample gradients shrink as 1/group).
void ascent_step(torch::Tensor& poison, const torch::Tensor& grad, const DirectOptions& options) {
  torch::NoGradGuard no_grad;
  const auto norms = grad.flatten(1).norm(2, 1).clamp_min(1e-12);
  std::vector<int64_t> shape(static_cast<size_t>(grad.dim()), 1);
  shape[0] = grad.size(0);
  poison.add_(grad / norms.view(shape), options.step_size);
  if (options.project) poison.clamp_(0.0, 1.0);
}

void check_problem(const AttackProblem& problem, const Dataset& seeds) {
  const ModelSpec& spec = problem.model.spec();
  if (!problem.model.is_native())
    throw UserError("attacker",
                    "the direct method needs an mlp or cnn target: it differentiates through the "
                    "model's SGD update, which a TorchScript target does not expose");
  if (seeds.shape != spec.input || seeds.num_classes != spec.num_classes)
    throw UserError("attacker", fmt::format("seed samples are {} with {} classes, the model "
                                            "takes {} with {} classes",
                                            seeds.shape.str(), seeds.num_classes, spec.input.str(),
                                            spec.num_classes));
  if (problem.validation.empty())
    throw UserError("attacker", "the direct method needs clean validation samples");
  if (problem.validation.shape != spec.input)
    throw UserError("attacker", fmt::format("validation samples are {}, the model takes {}",
                                            problem.validation.shape.str(), spec.input.str()));
  if (!(problem.retrain_lr > 0))
    throw UserError("attacker.retrain_lr", fmt::format("{}: expected > 0", problem.retrain_lr));
}

// One ascent problem's objective, by the engine chosen for the run.
class GroupObjective {
 public:
  GroupObjective(DirectEngine engine, const ModelSpec& spec, std::vector<torch::Tensor> params,
                 torch::Tensor validation_images, torch::Tensor validation_labels, double lr,
                 int64_t unroll_steps)
      : spec_(spec),
        params_(std::move(params)),
        validation_images_(std::move(validation_images)),
        validation_labels_(std::move(validation_labels)),
        lr_(lr),
        unroll_steps_(unroll_steps) {
    if (engine == DirectEngine::factored)
      factored_.emplace(spec, params_, validation_images_, validation_labels_, lr);
  }

  DirectObjective operator()(const torch::Tensor& poison, const torch::Tensor& labels,
                             const CleanChunks& clean, bool with_grad) {
    if (factored_) return factored_->evaluate(poison, labels, with_grad);
    return direct_objective(spec_, params_, poison, labels, validation_images_, validation_labels_,
                            lr_, unroll_steps_, with_grad, &clean);
  }

 private:
  const ModelSpec& spec_;
  std::vector<torch::Tensor> params_;
  torch::Tensor validation_images_;
  torch::Tensor validation_labels_;
  double lr_;
  int64_t unroll_steps_;
  std::optional<FactoredMlpObjective> factored_;
};

// labels: objective. `labels` holds the group's seed labels; writes into it whichever of the
// seed, next-class and least-likely labellings `score` (the objective at the seeds) rates
// highest, and returns that one's index (0, 1, 2). A first-order choice: the ascent that follows
// may favour another labelling, which it never sees.
template <typename Score>
int64_t choose_group_labels(const ModelSpec& spec, const std::vector<torch::Tensor>& params,
                            const torch::Tensor& seeds, torch::Tensor labels, const Score& score) {
  std::vector<torch::Tensor> candidates{labels.clone(), (labels + 1).remainder(spec.num_classes)};
  {
    torch::NoGradGuard no_grad;
    candidates.push_back(functional_forward(spec, params, seeds).argmin(1));
  }
  int64_t best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (size_t c = 0; c < candidates.size(); ++c) {
    const double value = score(candidates[c]);
    if (value > best_score) {
      best_score = value;
      best = static_cast<int64_t>(c);
    }
  }
  torch::NoGradGuard no_grad;
  labels.copy_(candidates[static_cast<size_t>(best)]);
  return best;
}

// The objective's clean data: a random subset when the attacker has more than it uses (drawn
// into `subset`, which must outlive the reference returned), else all of problem.validation.
const Dataset& objective_validation(const AttackProblem& problem, const DirectOptions& options,
                                    RandomStream& rng, Dataset& subset) {
  if (options.validation_samples < static_cast<int64_t>(problem.validation.size())) {
    subset = draw_seed_samples(problem.validation, options.validation_samples, rng);
    return subset;
  }
  return problem.validation;
}

// The victim-aware objective's clean samples for a group of `count`: drawn once per group, so
// every ascent step climbs the same objective. None without the attacker's clean pool, which
// the victim-aware objective and recovery steps need.
CleanChunks group_clean_chunks(const AttackProblem& problem, const DirectOptions& options,
                               int64_t count, RandomStream& rng) {
  const int64_t steps = std::clamp<int64_t>(options.unroll_steps, 1, count);
  CleanChunks clean = problem.clean_pool
                          ? draw_clean_chunks(options.victim, *problem.clean_pool, steps,
                                              std::max<int64_t>(1, count / steps), rng)
                          : CleanChunks{};
  if ((options.victim.objective == AttackObjective::victim_aware ||
       options.victim.recovery_steps > 0) &&
      !problem.clean_pool)
    throw UserError("attacker",
                    "the victim-aware objective and recovery_steps need the attacker's clean "
                    "pool");
  return clean;
}

// What the groups add up to for the report: sums by trace entry (entry i: after i ascent
// steps), divided by the number of groups only at the end.
struct AscentTotals {
  explicit AscentTotals(size_t entries) : objective_sum(entries, 0.0), accuracy_sum(entries, 0.0) {}

  // A group that stopped early keeps its final value (trace[done]) for the remaining entries.
  void add_group(const std::vector<DirectObjective>& trace, size_t done) {
    for (size_t e = 0; e < objective_sum.size(); ++e) {
      const auto& value = trace[std::min(e, done)];
      objective_sum[e] += value.loss;
      accuracy_sum[e] += value.accuracy;
    }
  }

  std::vector<double> objective_sum;
  std::vector<double> accuracy_sum;
  int64_t groups = 0;
  ProjectionCounts capped;
  std::vector<int64_t> label_choices = std::vector<int64_t>(3, 0);  // by choose_group_labels()
};

// labels: objective: writes the labelling the objective rates highest at the group's seeds into
// `poison_labels` (a view of the batch's labels) and counts the choice.
void choose_labels_by_objective(GroupObjective& objective, const ModelSpec& spec,
                                const std::vector<torch::Tensor>& params,
                                const torch::Tensor& group_seeds,
                                const torch::Tensor& poison_labels, const CleanChunks& clean,
                                std::vector<int64_t>& label_choices) {
  const auto score = [&](const torch::Tensor& candidate) {
    return objective(group_seeds, candidate, clean, /*with_grad=*/false).loss;
  };
  ++label_choices[static_cast<size_t>(
      choose_group_labels(spec, params, group_seeds, poison_labels, score))];
}

// One group's (projected) gradient ascent on `poison`, in place. trace[i] becomes the objective
// after i steps; returns the last entry measured, which is before the end of `trace` when
// `tolerance` stopped the group early (later entries keep an earlier group's values). With
// problem.loss_cap, the samples any projection moved are added to `capped`.
size_t ascend_group(GroupObjective& objective, torch::Tensor& poison,
                    const torch::Tensor& group_seeds, const torch::Tensor& poison_labels,
                    const CleanChunks& clean, const AttackProblem& problem,
                    const DirectOptions& options, std::vector<DirectObjective>& trace,
                    ProjectionCounts& capped) {
  const size_t entries = trace.size();
  CapMasks group_capped;  // which samples any projection of this group moved
  size_t done = 0;
  for (; done < entries; ++done) {
    const bool last = done + 1 == entries;
    trace[done] = objective(poison, poison_labels, clean, /*with_grad=*/!last);
    if (last) break;
    if (done > 0 && options.tolerance > 0 &&
        trace[done].loss - trace[done - 1].loss < options.tolerance)
      break;
    ascent_step(poison, trace[done].grad, options);
    trace[done].grad = torch::Tensor();
    if (problem.loss_cap) {
      const auto masks =
          project_under_cap(problem.model, poison, group_seeds, poison_labels, *problem.loss_cap);
      group_capped.projected = group_capped.projected.defined()
                                   ? group_capped.projected.logical_or(masks.projected)
                                   : masks.projected;
      group_capped.seeds = masks.seeds;  // the seeds' losses do not change between steps
    }
  }
  if (group_capped.projected.defined()) {
    const auto counts = counts_of(group_capped);
    capped.projected += counts.projected;
    capped.seeds += counts.seeds;
  }
  return done;
}

void fill_report(DirectReport& report, DirectEngine engine, const DirectOptions& options,
                 const AscentTotals& totals, std::chrono::steady_clock::time_point start) {
  report.engine = engine;
  report.groups = totals.groups;
  report.capped = totals.capped;
  report.label_choices =
      options.labels == PoisonLabels::objective ? totals.label_choices : std::vector<int64_t>{};
  const double divisor = totals.groups > 0 ? static_cast<double>(totals.groups) : 1.0;
  report.objective_by_iteration.clear();
  report.accuracy_by_iteration.clear();
  if (totals.groups > 0) {
    for (size_t e = 0; e < totals.objective_sum.size(); ++e) {
      report.objective_by_iteration.push_back(totals.objective_sum[e] / divisor);
      report.accuracy_by_iteration.push_back(totals.accuracy_sum[e] / divisor);
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const EnumNames<DirectEngine>& direct_engine_names() {
  static const EnumNames<DirectEngine> names("engine", {{DirectEngine::auto_select, "auto"},
                                                        {DirectEngine::factored, "factored"},
                                                        {DirectEngine::autograd, "autograd"}});
  return names;
}

DirectEngine parse_direct_engine(const std::string& text, const std::string& where) {
  return direct_engine_names().parse(text, where);
}

std::string to_string(DirectEngine value) { return direct_engine_names().name(value); }

std::string factored_settings_conflict(const DirectOptions& options) {
  if (options.victim.objective == AttackObjective::victim_aware)
    return "factored simulates training on the poison alone: the victim-aware objective needs "
           "engine: auto or autograd";
  if (options.victim.recovery_steps > 0)
    return "factored simulates no recovery steps: recovery_steps needs engine: auto or autograd";
  if (options.unroll_steps == 1 || options.group_size == 1) return "";
  return "factored simulates one SGD step per group: it needs unroll_steps: 1 (or group_size: "
         "1); use engine: auto or autograd";
}

bool factored_engine_applies(const DirectOptions& options, const ModelSpec& spec) {
  return spec.kind == ModelKind::mlp && factored_settings_conflict(options).empty();
}

DirectEngine resolve_direct_engine(const DirectOptions& options, const ModelSpec& spec,
                                   const std::string& where) {
  const bool applies = factored_engine_applies(options, spec);
  if (options.engine == DirectEngine::auto_select)
    return applies ? DirectEngine::factored : DirectEngine::autograd;
  if (options.engine == DirectEngine::factored && !applies)
    throw UserError(where + ".engine",
                    spec.kind != ModelKind::mlp
                        ? fmt::format("factored needs an mlp target, this one is {}; use "
                                      "engine: auto or autograd",
                                      to_string(spec.kind))
                        : factored_settings_conflict(options));
  return options.engine;
}

DirectObjective direct_objective(const ModelSpec& spec, const std::vector<torch::Tensor>& params,
                                 const torch::Tensor& poison, const torch::Tensor& poison_labels,
                                 const torch::Tensor& validation_images,
                                 const torch::Tensor& validation_labels, double lr,
                                 int64_t unroll_steps, bool with_grad, const CleanChunks* clean) {
  // With the gradient, the update stays differentiable in x_p (the Hessian-vector product).
  const auto weights =
      simulate_retraining(spec, params, poison, poison_labels, clean, lr, unroll_steps, with_grad);
  DirectObjective out;
  torch::Tensor logits;
  torch::Tensor loss;
  if (with_grad) {
    logits = functional_forward(spec, weights, validation_images);
    loss = F::cross_entropy(logits, validation_labels);
    out.grad = torch::autograd::grad({loss}, {poison})[0];
  } else {
    torch::NoGradGuard no_grad;
    logits = functional_forward(spec, weights, validation_images);
    loss = F::cross_entropy(logits, validation_labels);
  }
  torch::NoGradGuard no_grad;
  out.loss = loss.item<double>();
  out.accuracy = logits.argmax(1).eq(validation_labels).to(torch::kFloat64).mean().item<double>();
  return out;
}

PoisonBatch direct_gradient_attack(const AttackProblem& problem, const Dataset& seeds,
                                   const DirectOptions& options, RandomStream& rng,
                                   DirectReport* report, Progress* progress) {
  const auto start = std::chrono::steady_clock::now();
  check_problem(problem, seeds);
  const ModelSpec& spec = problem.model.spec();
  const DirectEngine engine = resolve_direct_engine(options, spec, "attacker");

  PoisonBatch batch;
  batch.seeds = seeds;
  batch.samples = seeds;
  batch.samples.name = seeds.name + "/direct";
  batch.samples.labels = poison_labels(seeds.labels, options.labels, seeds.num_classes, rng);

  Dataset subset;
  const Dataset& validation = objective_validation(problem, options, rng, subset);
  std::vector<torch::Tensor> params;
  for (const auto& p : problem.model.impl().params)
    params.push_back(p.detach().requires_grad_(true));  // shares storage; never written
  GroupObjective objective(engine, spec, params, images_tensor(validation),
                           labels_tensor(validation), problem.retrain_lr, options.unroll_steps);
  const auto images = images_tensor(batch.samples);  // the poison is written back in place
  const auto labels = labels_tensor(batch.samples);

  const auto n = static_cast<int64_t>(seeds.size());
  const auto entries = static_cast<size_t>(options.iterations + 1);
  std::vector<DirectObjective> trace(entries);  // reused by every group
  AscentTotals totals(entries);
  for (int64_t first = 0; first < n; first += options.group_size, ++totals.groups) {
    const int64_t count = std::min(options.group_size, n - first);
    const auto group_seeds = images.narrow(0, first, count).clone();
    auto poison = group_seeds.clone();
    if (engine == DirectEngine::autograd) poison.requires_grad_(true);
    // A view of batch.samples.labels (labels_tensor shares its memory): labels: objective
    // writes its choice there directly.
    const auto poison_labels = labels.narrow(0, first, count);
    const CleanChunks clean = group_clean_chunks(problem, options, count, rng);
    if (options.labels == PoisonLabels::objective)
      choose_labels_by_objective(objective, spec, params, group_seeds, poison_labels, clean,
                                 totals.label_choices);
    const size_t done = ascend_group(objective, poison, group_seeds, poison_labels, clean, problem,
                                     options, trace, totals.capped);
    totals.add_group(trace, done);
    {
      torch::NoGradGuard no_grad;
      images.narrow(0, first, count).copy_(poison);
    }
    if (progress)
      progress->advance(static_cast<double>(count), fmt::format("group {}", totals.groups + 1));
  }

  if (report) fill_report(*report, engine, options, totals, start);
  return batch;
}

PoisonBatch DirectGradientAttacker::generate(AttackContext& context, int64_t count) {
  const Dataset seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  AttackProblem problem{context.model, context.validation, retrain_lr_};
  problem.clean_pool = &context.clean_pool;
  if (evasion_) problem.loss_cap = evasion_->cap(context);
  PoisonBatch batch = direct_gradient_attack(problem, seeds, options_, context.rng, &last_report_,
                                             context.progress);
  if (problem.loss_cap)
    evasion_->record(static_cast<int64_t>(batch.samples.size()), last_report_.capped, context.now);
  return batch;
}

}  // namespace poisonsim
