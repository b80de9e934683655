#pragma once
// The data of one run, carved deterministically from the data set's files, and the deployed
// model's starting point (pretrained, from the cache, or loaded from a file).
#include <string>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"
#include "pipeline/scenario/scenario.h"

namespace poisonsim {

struct RunData {
  Dataset pretrain;             // the deployed model's initial training data
  Dataset validation;           // the defender's clean validation set
  Dataset attacker_pool;        // the attackers' own clean data: poison seeds
  Dataset attacker_validation;  // the attackers' own clean validation data
  Dataset stream_pool;          // what the public streams deliver
  Dataset test;                 // clean test set for evaluation ticks
};

RunData load_run_data(const Scenario& scenario);

// Where pretrained models are cached: $POISONSIM_CACHE_DIR, else $XDG_CACHE_HOME/poisonsim,
// else ~/.cache/poisonsim.
std::string model_cache_dir();

// The initial deployed model: scenario.model_file if set; else a cached pretrained model for the
// same data, splits, seed, model and pretraining options; else pretrains one (and caches it
// when pretrain.cache is on). Logs what it did.
TargetModel initial_model(const Scenario& scenario, const RunData& data);

// A surrogate attacker's own model: the target's architecture, trained on the attacker's pool
// only, with seeds named after the attacker.
TargetModel train_surrogate(const Scenario& scenario, const AttackerSpec& attacker,
                            const RunData& data);

}  // namespace poisonsim
