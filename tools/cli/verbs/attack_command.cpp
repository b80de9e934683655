// `poisonsim attack`: generate a poison set against a pretrained target, time it, and measure
// what one retraining on it does to clean test accuracy.
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/poison_set_file.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "tools/attack/attack_session.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"
#include "tools/cli/verb_table.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim::cli {
namespace {

struct AttackOptions {
  std::string method;
  int64_t n = 1000;
  int64_t group_size = 0;
  std::vector<std::string> params;
  std::string scenario;
  std::vector<std::string> overrides;
  std::string output = "poison.h5";
  std::string json;
  int64_t retrain_seeds = 3;
  int64_t mixed_ratio = 5;
  bool force = false;
};

// The CLI's method names; label flipping is spelled both ways.
std::string attacker_type(const std::string& method) {
  return method == "labelflip" ? "label-flip" : method;
}

// The human-readable figures of one attack, on stdout.
void print_attack_text(const AttackOptions& o, const AttackRun& run, const PoisonEffect& effect) {
  const std::string engine = run.direct ? " (" + to_string(run.direct->engine) + " engine)" : "";
  fmt::print("{} poison{}, n = {}: {:.2f} s ({:.1f} samples/s, generator training included)\n",
             o.method, engine, run.poison.size(), run.seconds, run.samples_per_second());
  fmt::print("clean test accuracy: {:.4f} before; after one retraining on\n",
             effect.accuracy_before);
  fmt::print("(mean ± half-width of the 95% confidence interval over {} shuffles)\n",
             o.retrain_seeds);
  fmt::print("  the poison alone           {}\n", format_mean_ci(effect.accuracy_after));
  fmt::print("  its clean seeds alone      {}\n", format_mean_ci(effect.accuracy_clean_only));
  fmt::print("  poison + {}x clean          {}\n", o.mixed_ratio,
             format_mean_ci(effect.accuracy_mixed));
  fmt::print("  the same clean data alone  {}\n", format_mean_ci(effect.accuracy_clean_mixed));
  fmt::print("mean loss on the deployed model: poison {:.3f}, clean seeds {:.3f}\n",
             effect.mean_loss_poison, effect.mean_loss_clean);
  if (const auto& d = effect.detection)
    fmt::print(
        "the scenario's {} guard (threshold {:.3g}) rejects {:.1f}% of the poison, {:.1f}% "
        "of the clean seeds\n",
        d->guard, d->threshold, 100 * d->poison_rejected, 100 * d->clean_rejected);
  fmt::print("mean L2 from seed {:.3f}; spread (mean pairwise L2) poison {:.3f}, seeds {:.3f}\n",
             effect.mean_l2_from_seed, effect.mean_pairwise_l2, effect.seed_pairwise_l2);
}

void run_attack(const AttackOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  AttackRequest request{attacker_type(o.method), o.n, o.params};
  if (o.group_size > 0) request.params.push_back(fmt::format("group_size={}", o.group_size));
  // Reserved before the work: a second writer of either file fails now, not after it.
  AtomicOutput poison_file(
      o.output, o.force ? AtomicOutput::Existing::replace : AtomicOutput::Existing::refuse);
  JsonOutput json(o.json, o.force);
  AttackSession session(o.scenario, o.overrides);
  const AttackRun run = session.generate(request);
  spdlog::info(
      "{}: {} samples in {:.2f} s ({:.1f} samples/s); measuring with {} retraining "
      "seeds",
      o.method, run.poison.size(), run.seconds, run.samples_per_second(), o.retrain_seeds);
  const PoisonEffect effect = session.measure(run, o.retrain_seeds, o.mixed_ratio);

  nlohmann::json figures = attack_figures(run, effect);
  figures["method"] = o.method;  // as the user spelled it (labelflip or label-flip)
  figures["model"] = session.model().spec().describe();
  write_poison_set(poison_file.temporary_path(), {o.method, run.poison, run.seeds, figures.dump()});
  poison_file.commit();
  json.write(figures.dump(2) + "\n");

  if (json.to_stdout()) {  // stdout carries only the JSON
    spdlog::info("poison set written to {}", o.output);
    return;
  }
  print_attack_text(o, run, effect);
  fmt::print("poison set written to {}{}\n", o.output,
             o.json.empty() ? "" : ", figures to " + o.json);
}

}  // namespace

void add_attack_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<AttackOptions>();
  auto* cmd = app.add_subcommand("attack", verb_summary("attack"));
  // Every registered attacker type (`poisonsim list`): a Python or replay attacker takes its
  // file and class through --param as a scenario's block would.
  std::vector<std::string> methods = builtin_plugins().attackers.types();
  methods.push_back("labelflip");
  cmd->add_option("--method", o->method,
                  "An attacker type (poisonsim list): direct, generative, labelflip (label-flip), "
                  "noise, replay or python, its keys through --param")
      ->required()
      ->check(CLI::IsMember(methods));
  cmd->add_option("--n", o->n, "Poisoned samples to generate")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  cmd->add_option("--group-size", o->group_size,
                  "direct: samples optimised together (default: the method's own, 100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cmd->add_option("--param", o->params,
                  "A method setting as in a scenario's attacker block, key=value (repeatable), "
                  "e.g. --param iterations=30 --param rule=first-order");
  cmd->add_option("--scenario", o->scenario,
                  "Scenario whose data set, splits, target, pretraining and retraining settings "
                  "to use (default: the quickstart's)");
  cmd->add_option("--set", o->overrides, "Override a scenario value: key.path=value (repeatable)");
  cmd->add_option("-o,--output", o->output, "Poison set file (HDF5)")->capture_default_str();
  cmd->add_option("--json", o->json, "Also write the figures as JSON");
  cmd->add_flag("--force", o->force, "Replace the poison set (and --json) file if it exists");
  cmd->add_option("--retrain-seeds", o->retrain_seeds, "Retraining shuffles to average over")
      ->check(CLI::Range(int64_t{1}, int64_t{100}))
      ->capture_default_str();
  cmd->add_option("--mixed-ratio", o->mixed_ratio, "Clean samples per poisoned one, mixed case")
      ->check(CLI::Range(int64_t{0}, int64_t{100}))
      ->capture_default_str();
  cmd->callback([o, &global] { run_attack(*o, global); });
}

}  // namespace poisonsim::cli
