#pragma once
// The `sanitize:` stages on the retraining buffer, just before a retrain (docs/scenario.md,
// sanitize): what they remove leaves the buffer (and so the retraining set; replayed
// pretraining samples are trusted and not judged), its samples row records the stage, and each
// stage's work is an events row.
#include <cstddef>
#include <functional>

#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim {

struct Dataset;
class DefenseTally;
class GuardContext;
class RetrainBuffer;
class RowSink;
class SanitizerChain;

// Trains a candidate on part of the window as the retrain would and scores it on clean
// validation data (the per-source gate's comparison).
using SubsetTrainer = std::function<WindowValidation(const Dataset& subset)>;

// `context` featurises the window with the deployed model; the sanitizers' stages are numbered
// after the guard's stages in samples.rejected_by, and `tally` counts what each removed. Stages
// that retrain get each sample's source (the buffer's) and `train`.
void sanitize_window(SanitizerChain& sanitizers, const GuardContext& context, DefenseTally& tally,
                     RetrainBuffer& buffer, RowSink& recorder, double now,
                     const SubsetTrainer& train);

}  // namespace poisonsim
