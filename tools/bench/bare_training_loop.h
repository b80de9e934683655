#pragma once
// The reference side of `poisonsim bench training`: mini-batch SGD written as a LibTorch user
// would write it (torch::nn modules, torch::optim::SGD, index_select batches), with none of
// poisonsim's model handle, progress or bookkeeping. Torch-free header; torch is in the .cpp.
#include "pipeline/data/dataset.h"
#include "pipeline/model/model_spec.h"
#include "pipeline/model/training.h"

namespace poisonsim::bench {

// Builds `spec`'s network (mlp or cnn) from torch::nn modules, loads `initial`, and trains it on
// `data` with `options` (epochs, lr, batch size, momentum, weight decay). The samples are taken
// in the order train_model() takes them (the same shuffle of the same seed), so that both sides
// do the same arithmetic and their weights can be compared. Throws UserError for a TorchScript
// spec.
struct BareTraining {
  ModelWeights weights;  // after training
  double seconds = 0;    // building the network, loading `initial` and training
};
BareTraining bare_train(const ModelSpec& spec, const ModelWeights& initial, const Dataset& data,
                        const TrainOptions& options);

}  // namespace poisonsim::bench
