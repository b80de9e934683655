#pragma once
// The `sanitize:` stages on the retraining buffer, just before a retrain (docs/scenario.md,
// sanitize): what they remove leaves the buffer (and so the retraining set; replayed
// pretraining samples are trusted and not judged), its samples row records the stage, and each
// stage's work is an events row.
#include <cstddef>

namespace poisonsim {

class DefenseTally;
class GuardContext;
class RetrainBuffer;
class RowSink;
class SanitizerChain;

// `context` featurises the window with the deployed model; the sanitizers' stages are numbered
// after the guard's stages in samples.rejected_by, and `tally` counts what each removed.
void sanitize_window(SanitizerChain& sanitizers, const GuardContext& context, DefenseTally& tally,
                     RetrainBuffer& buffer, RowSink& recorder, double now);

}  // namespace poisonsim
