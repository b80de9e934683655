#pragma once
// Poison generation outside the simulation, for `poisonsim attack` and `poisonsim bench
// attacks`: one scenario's data and pretrained target, loaded once; any registered attacker type
// run against it on the same clean seed samples; its poison measured by the retraining protocol.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attackers/direct/direct_gradient.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/run_data.h"
#include "tools/attack/attack_evaluation.h"

namespace poisonsim {

struct AttackRequest {
  std::string method;               // an attacker type: direct, generative, label-flip, noise
  int64_t n = 1000;                 // poisoned samples to generate
  std::vector<std::string> params;  // "key=value" settings of the attacker's scenario block
};

struct AttackRun {
  std::string method;
  std::string attacker_yaml;  // the attacker's resolved settings
  Dataset poison;
  Dataset seeds;       // paired with poison, sample by sample
  double seconds = 0;  // all generation time, a generator's own training included
  // The direct method only: its ascent per iteration (the paper's group-size figure).
  std::optional<DirectReport> direct;
  int64_t group_size = 0;  // direct: samples optimised together
  double samples_per_second() const { return static_cast<double>(poison.size()) / seconds; }
};

// The figures of one generated poison set, as `attack --json`, the poison set file and each
// method of `bench attacks --json` hold them: the measured effect, method, n, seconds,
// samples_per_second, the attacker's resolved settings and, for the direct method, group_size,
// the engine that ran and its ascent per iteration.
nlohmann::json attack_figures(const AttackRun& run, const PoisonEffect& effect);

class AttackSession {
 public:
  // `scenario_path` empty: the defaults (Fashion-MNIST, MLP 784-256-10, pretrained and cached),
  // which are the quickstart's data and target.
  AttackSession(const std::string& scenario_path, std::vector<std::string> overrides);
  ~AttackSession();

  AttackRun generate(const AttackRequest& request);
  // The retraining protocol, and the scenario guard's detection when it has one.
  PoisonEffect measure(const AttackRun& run, int64_t retrain_seeds, int64_t mixed_ratio) const;

  const Scenario& scenario() const { return scenario_; }
  const TargetModel& model() const;
  const RunData& data() const { return data_; }
  // The first n clean seeds every method starts from (the attacker's pool, one fixed stream).
  Dataset seeds(int64_t n) const { return seeds_for(n); }
  // The attacker request.method with request.params, validated and built as generate() builds
  // it (UserError naming the key for a bad value).
  std::unique_ptr<PoisonGenerator> make_attacker(const AttackRequest& request) const;

 private:
  Dataset seeds_for(int64_t n) const;

  std::string text_;
  std::string file_;
  std::vector<std::string> overrides_;
  Scenario scenario_;
  RunData data_;
  std::unique_ptr<TargetModel> model_;
};

}  // namespace poisonsim
