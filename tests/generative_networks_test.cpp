// The generative method's networks: the generator G, and the victim copies its two rules train
// through (first-order reward, unrolled window), each against the direct computation. Training,
// generation and the attacker: generative_test.cpp.
#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attackers/generative/first_order_copy.h"
#include "attackers/generative/generator_net.h"
#include "attackers/generative/unrolled_copy.h"
#include "pipeline/model/torch_model.h"
#include "tests/generative_support.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::same_weights;
using test::small_mlp;

TEST(GeneratorNet, MlpMapsImagesToImagesInRange) {
  GeneratorNet net(GeneratorSpec{}, {1, 28, 28}, 5);
  EXPECT_EQ(net.kind(), GeneratorKind::mlp);
  EXPECT_EQ(net.describe(), "mlp 784-256-64-256-784");
  const auto x = torch::rand({7, 1, 28, 28});
  const auto y = net.forward(x);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_GE(y.min().item<float>(), 0.0f);
  EXPECT_LE(y.max().item<float>(), 1.0f);
  // The same seed gives the same G, another seed another one.
  EXPECT_TRUE(torch::equal(GeneratorNet(GeneratorSpec{}, {1, 28, 28}, 5).forward(x), y));
  EXPECT_FALSE(torch::equal(GeneratorNet(GeneratorSpec{}, {1, 28, 28}, 6).forward(x), y));
}

TEST(GeneratorNet, ConvForColourImages) {
  GeneratorNet net(GeneratorSpec{}, {3, 32, 32}, 5);
  EXPECT_EQ(net.kind(), GeneratorKind::conv);
  const auto x = torch::rand({4, 3, 32, 32});
  const auto y = net.forward(x);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_GE(y.min().item<float>(), 0.0f);
  EXPECT_LE(y.max().item<float>(), 1.0f);
  // Sides that do not halve evenly: automatic falls back to the MLP; conv is an error.
  EXPECT_EQ(GeneratorNet(GeneratorSpec{}, {3, 30, 30}, 5).kind(), GeneratorKind::mlp);
  GeneratorSpec conv;
  conv.kind = GeneratorKind::conv;
  test::expect_user_error(
      [&] {
        (void)GeneratorNet(conv, {3, 30, 30}, 5, "attackers.0.generator");
      },
      "attackers.0.generator", "divisible by 4");
}

// What both copies' tests check against: synthetic images and labels, a validation subset of
// 200, and the targets: MLPs with zero, one and two hidden layers and a CNN with one.
struct CopyCase {
  TrainTestData data = test::small_synthetic(300, 10);
  torch::Tensor images = images_tensor(data.train);
  torch::Tensor labels = labels_tensor(data.train);
  torch::Tensor validation_x = images.narrow(0, 0, 200);
  torch::Tensor validation_y = labels.narrow(0, 0, 200);
  std::vector<ModelSpec> targets() const {
    std::vector<ModelSpec> out;
    for (const std::vector<int64_t>& hidden : {std::vector<int64_t>{}, {32}, {32, 16}}) {
      out.push_back(small_mlp());
      out.back().hidden = hidden;
    }
    ModelSpec cnn;
    cnn.kind = ModelKind::cnn;
    cnn.conv_channels = {4};
    cnn.hidden = {32};
    out.push_back(cnn);
    for (auto& spec : out) spec.input = data.train.shape;
    return out;
  }
};

// The first-order rule's reward: for an MLP the copy updates the validation set's first-layer
// pre-activations by each step's low-rank change instead of recomputing them. It must equal the
// loss of the copy's weights computed directly, after steps and after a reset, for MLPs with zero,
// one and two hidden layers, and for a CNN (computed directly).
TEST(FirstOrderCopy, RewardEqualsTheDirectComputation) {
  const CopyCase c;
  const auto& images = c.images;
  const auto& labels = c.labels;
  const auto& validation_x = c.validation_x;
  const auto& validation_y = c.validation_y;
  for (const ModelSpec& spec : c.targets()) {
    SCOPED_TRACE(spec.describe());
    const TargetModel model = TargetModel::create(spec, 5);
    const auto before = model.weights();
    FirstOrderCopy copy(spec, model.impl().params, validation_x, validation_y, 0.5);
    auto direct = [&] {
      torch::NoGradGuard no_grad;
      return torch::nn::functional::cross_entropy(
                 functional_forward(spec, copy.weights(), validation_x), validation_y)
          .item<double>();
    };
    const double start = copy.validation_loss();
    EXPECT_NEAR(start, direct(), 1e-6);
    // Chunks of 16 rows (the low-rank update, or for a 10-wide first layer a fresh product),
    // two chunks of 8 before one reward (their changes applied together), one of 64 (fresh).
    for (int step = 0; step < 6; ++step) {
      copy.step(images.narrow(0, 200 + 16 * step, 16), labels.narrow(0, 200 + 16 * step, 16));
      EXPECT_NEAR(copy.validation_loss(), direct(), 2e-5 * std::max(1.0, direct()));
    }
    copy.step(images.narrow(0, 200, 8), labels.narrow(0, 200, 8));
    copy.step(images.narrow(0, 208, 8), labels.narrow(0, 208, 8));
    EXPECT_NEAR(copy.validation_loss(), direct(), 2e-5 * std::max(1.0, direct()));
    copy.step(images.narrow(0, 216, 64), labels.narrow(0, 216, 64));
    EXPECT_NEAR(copy.validation_loss(), direct(), 2e-5 * std::max(1.0, direct()));
    EXPECT_GT(std::abs(copy.validation_loss() - start), 1e-4);  // the steps moved the copy
    copy.reset();
    EXPECT_NEAR(copy.validation_loss(), start, 1e-6);
    EXPECT_TRUE(same_weights(before, model.weights()));  // the target is only read
  }
}

// The unrolled rule's window: for an MLP its validation loss's first layer comes from the copy's
// pre-activations and the window's low-rank changes. Its value and its gradient with respect to
// the window's images must equal the direct computation (SGD steps with create_graph, then the
// forward pass at the weights reached), over two windows (the copy keeps what it reached) and
// after a reset, for MLPs with zero, one and two hidden layers and for a CNN.
TEST(UnrolledCopy, WindowLossAndGradientEqualTheDirectComputation) {
  const CopyCase c;
  const auto& images = c.images;
  const auto& labels = c.labels;
  const auto& validation_x = c.validation_x;
  const auto& validation_y = c.validation_y;
  for (const ModelSpec& spec : c.targets()) {
    SCOPED_TRACE(spec.describe());
    const TargetModel model = TargetModel::create(spec, 5);
    UnrolledCopy copy(spec, model.impl().params, validation_x, validation_y, 0.5);
    std::vector<torch::Tensor> direct_weights;
    for (const auto& p : model.impl().params) direct_weights.push_back(p.detach());
    for (int window = 0; window < 2; ++window) {
      // Three chunks of 8 rows (for a 10-wide first layer: more rows than the low-rank form
      // is worth, so the first layer is computed afresh).
      const auto x = images.narrow(0, 200 + 24 * window, 24).clone().requires_grad_(true);
      const auto y = labels.narrow(0, 200 + 24 * window, 24);
      for (int k = 0; k < 3; ++k) copy.step(x.narrow(0, 8 * k, 8), y.narrow(0, 8 * k, 8));
      const auto loss = copy.end_window();
      const auto grad = torch::autograd::grad({loss}, {x})[0];

      const auto x2 = x.detach().clone().requires_grad_(true);
      std::vector<torch::Tensor> w;
      for (const auto& p : direct_weights) w.push_back(p.detach().requires_grad_(true));
      for (int k = 0; k < 3; ++k)
        w = functional_sgd_step(spec, w, x2.narrow(0, 8 * k, 8), y.narrow(0, 8 * k, 8), 0.5, true);
      const auto direct = torch::nn::functional::cross_entropy(
          functional_forward(spec, w, validation_x), validation_y);
      const auto direct_grad = torch::autograd::grad({direct}, {x2})[0];
      for (auto& p : w) p = p.detach();
      direct_weights = w;
      EXPECT_NEAR(loss.item<double>(), direct.item<double>(), 2e-5);
      const double scale = direct_grad.abs().max().item<double>();
      EXPECT_GT(scale, 0);
      EXPECT_LT((grad - direct_grad).abs().max().item<double>(), 1e-3 * scale);
    }
    copy.reset();
    copy.step(images.narrow(0, 250, 8), labels.narrow(0, 250, 8));
    std::vector<torch::Tensor> w;
    for (const auto& p : model.impl().params) w.push_back(p.detach().requires_grad_(true));
    w = functional_sgd_step(spec, w, images.narrow(0, 250, 8), labels.narrow(0, 250, 8), 0.5,
                            false);
    torch::NoGradGuard no_grad;
    EXPECT_NEAR(copy.end_window().item<double>(),
                torch::nn::functional::cross_entropy(functional_forward(spec, w, validation_x),
                                                     validation_y)
                    .item<double>(),
                2e-5);
  }
}

}  // namespace
}  // namespace poisonsim
