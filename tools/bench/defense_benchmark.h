#pragma once
// `poisonsim bench defenses`: what each guard stage and each window sanitizer costs per
// retraining window, against the retraining it guards, on the scenario's data and pretrained model.
// A window is what arrives between two retrains (the quickstart: 60 s x 2 batches/s x 32 = 3,840
// samples), judged in arrival batches as the simulation does; each stage starts fresh each round,
// so its cost includes preparing its bank (seeding and featurising it), as after every deploy in a
// run. Stages and retraining take turns round after round; figures are medians over rounds.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonsim::bench {

struct DefenseBenchmarkOptions {
  std::string scenario;                // data, target, retraining options, arrival batch size
  std::vector<std::string> overrides;  // --set key.path=value
  int64_t window = 3840;               // samples per window
  int64_t batch = 32;                  // samples per arrival batch
  // Each a `guard:` stage as YAML; the default covers every stage type.
  std::vector<std::string> stages{"{type: loss-threshold}",
                                  "{type: random, rate: 0.1}",
                                  "{type: oracle}",
                                  "{type: knn, bank_size: 5000}",
                                  "{type: knn, bank_size: 10000}",
                                  "{type: sphere, bank_size: 5000}",
                                  "{type: slab, bank_size: 5000}"};
  // Each a `sanitize:` stage as YAML, timed on the same window as a sanitizer sees it at a
  // retrain: featurised once, then judged whole.
  std::vector<std::string> sanitizers{"{type: spectral}", "{type: activation-clustering}",
                                      "{type: sever}", "{type: trim}"};
  int rounds = 5;

  void validate() const;  // UserError naming the option
};

struct StageFigures {
  std::string stage;                   // the YAML as given
  std::vector<double> window_seconds;  // per round: judging one window, bank preparation included
  std::vector<double> search_seconds;  // per round: the same window again, bank ready
  int64_t bank_bytes = 0;              // memory the stage holds at full bank (0: none)
  // A guard stage: each sample's verdict on the window (last round, bank ready), and the share of
  // them equal to the first guard stage's (an approximate k-NN index against the exact one).
  std::vector<int8_t> verdicts;
  double agreement = 0;
};

struct DefenseFigures {
  std::string scenario;
  std::string model;
  int64_t window = 0;
  int64_t batch = 0;
  int64_t feature_dim = 0;
  std::vector<double> retrain_seconds;  // per round: one retrain on the window
  std::vector<double> scoring_seconds;  // per round: scoring the window with features
  std::vector<StageFigures> stages;
  // window_seconds: featurising the window and sanitizing it, the trusted bank prepared too (as
  // after a deploy); search_seconds: the same with the bank ready.
  std::vector<StageFigures> sanitizers;
};

DefenseFigures run_defense_benchmark(const DefenseBenchmarkOptions& options);
std::string format_defense_table(const DefenseFigures& figures);
nlohmann::ordered_json defense_json(const DefenseFigures& figures);

}  // namespace poisonsim::bench
