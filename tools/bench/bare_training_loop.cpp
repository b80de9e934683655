#include "tools/bench/bare_training_loop.h"

#include <chrono>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>
#include <torch/torch.h>

#include "sim/util/error.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim::bench {
namespace {

// The network of `spec` as torch::nn modules: conv + relu + max-pool stages (cnn), flatten,
// linear + relu per hidden width, linear to the classes.
torch::nn::Sequential build_network(const ModelSpec& spec) {
  torch::nn::Sequential net;
  int64_t channels = spec.input.channels;
  if (spec.kind == ModelKind::cnn) {
    for (const int64_t out : spec.conv_channels) {
      net->push_back(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(channels, out, spec.kernel_size).padding(spec.kernel_size / 2)));
      net->push_back(torch::nn::ReLU());
      net->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
      channels = out;
    }
  }
  net->push_back(torch::nn::Flatten());
  int64_t width = spec.feature_shape().numel();
  for (const int64_t hidden : spec.hidden) {
    net->push_back(torch::nn::Linear(width, hidden));
    net->push_back(torch::nn::ReLU());
    width = hidden;
  }
  net->push_back(torch::nn::Linear(width, spec.num_classes));
  return net;
}

void load(torch::nn::Sequential& net, const ModelWeights& weights) {
  torch::NoGradGuard no_grad;
  auto params = net->parameters();
  if (params.size() != weights.size())
    throw std::logic_error("bare_train: the network and the weights disagree in parameter count");
  for (size_t i = 0; i < params.size(); ++i) {
    auto& values = const_cast<std::vector<float>&>(weights[i].values);
    const auto source = torch::from_blob(values.data(), weights[i].shape, torch::kFloat32);
    if (source.sizes() != params[i].sizes())
      throw std::logic_error("bare_train: shape of parameter " + weights[i].name + " differs");
    params[i].copy_(source);
  }
}

ModelWeights unload(const torch::nn::Sequential& net, const ModelWeights& like) {
  ModelWeights out = like;
  const auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    const auto p = params[i].detach().contiguous();
    std::copy_n(p.data_ptr<float>(), p.numel(), out[i].values.begin());
  }
  return out;
}

}  // namespace

BareTraining bare_train(const ModelSpec& spec, const ModelWeights& initial, const Dataset& data,
                        const TrainOptions& options) {
  if (spec.kind == ModelKind::torchscript)
    throw UserError("model.kind", "bench training compares mlp and cnn targets, not torchscript");
  const auto start = std::chrono::steady_clock::now();
  auto net = build_network(spec);
  load(net, initial);
  const auto n = static_cast<int64_t>(data.size());
  const auto images = torch::from_blob(
      const_cast<float*>(data.pixels.data()),
      {n, data.shape.channels, data.shape.height, data.shape.width}, torch::kFloat32);
  const auto labels =
      torch::from_blob(const_cast<int64_t*>(data.labels.data()), {n}, torch::kInt64);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(options.learning_rate)
                                                     .momentum(options.momentum)
                                                     .weight_decay(options.weight_decay));
  // train_model's order: one permutation, reshuffled in place every epoch by the same stream.
  std::vector<int64_t> order(data.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  RandomStream rng(options.seed, "train/shuffle");
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    rng.shuffle(order.begin(), order.end());
    const auto index = torch::from_blob(order.data(), {n}, torch::kInt64);
    for (int64_t first = 0; first < n; first += options.batch_size) {
      const auto batch = index.narrow(0, first, std::min(options.batch_size, n - first));
      optimizer.zero_grad();
      const auto loss = torch::nn::functional::cross_entropy(
          net->forward(images.index_select(0, batch)), labels.index_select(0, batch));
      loss.backward();
      optimizer.step();
    }
  }
  const auto end = std::chrono::steady_clock::now();
  return {unload(net, initial), std::chrono::duration<double>(end - start).count()};
}

}  // namespace poisonsim::bench
