#pragma once
// What both sides of `bench attacks --reference` work on: the session's target and data, the
// direct and generative attackers' settings as the scenario resolves them, and their JSON form
// for the PyTorch reference.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attackers/direct/direct_gradient.h"
#include "attackers/generative/generative_attack.h"
#include "tools/attack/attack_session.h"

namespace poisonsim::bench {

struct ReferenceSetup {
  AttackSession& session;
  DirectOptions direct;
  double direct_lr = 0.1;
  GenerativeOptions generative;
  double generative_lr = 0.1;
  uint64_t seed = 1;
  int threads = 2;  // compute.train_threads, both sides
};

// Resolves the attackers' settings through the scenario's validation; UserError for a bad
// value, or for `evade` (the reference has no guard-aware cap).
ReferenceSetup make_reference_setup(AttackSession& session,
                                    const std::vector<std::string>& direct_params,
                                    const std::vector<std::string>& generative_params);

// The settings as reference_attacks.py reads them ("options" of a request).
nlohmann::json reference_options(const DirectOptions& options);
nlohmann::json reference_options(const GenerativeOptions& options);

// The data file of a run: model_spec and generator_spec attributes, target/p*, validation (the
// attacker's validation data), pool (its seed pool), seeds (the first `seeds` clean seeds, as
// session.seeds()), generator/p* (G's initial weights from generator_seed).
void write_reference_data(const std::string& path, const ReferenceSetup& setup, int64_t seeds,
                          uint64_t generator_seed);

}  // namespace poisonsim::bench
