#include <gtest/gtest.h>

#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "tests/script_module.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

ModelSpec small_mlp() {
  ModelSpec spec;
  spec.hidden = {32, 16};
  return spec;
}

ModelSpec small_cnn() {
  ModelSpec spec;
  spec.kind = ModelKind::cnn;
  spec.input = {3, 16, 16};
  spec.conv_channels = {4, 8};
  spec.hidden = {16};
  return spec;
}

torch::Tensor logits_of(const TargetModel& model, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return model.impl().forward(x);
}

TEST(ModelSpec, ValidatesRanges) {
  ModelSpec spec = small_cnn();
  spec.kernel_size = 4;
  test::expect_user_error([&] { spec.validate(); }, "model.kernel_size", "odd");
  spec = small_cnn();
  spec.conv_channels = {4, 4, 4, 4, 4};
  test::expect_user_error([&] { spec.validate(); }, "model.conv_channels", "to nothing");
  spec = small_mlp();
  spec.num_classes = 1;
  test::expect_user_error([&] { spec.validate(); }, "model.num_classes", "at least 2");
}

TEST(ModelSpec, YamlRoundTrip) {
  for (const auto& spec : {small_mlp(), small_cnn()}) {
    const auto back = ModelSpec::from_yaml(spec.to_yaml(), "test");
    EXPECT_EQ(back.to_yaml(), spec.to_yaml());
    EXPECT_EQ(back.describe(), spec.describe());
  }
  EXPECT_EQ(small_mlp().describe(), "mlp 784-32-16-10");
}

TEST(TargetModel, OutputShapesAndParameterCounts) {
  const auto mlp = TargetModel::create(small_mlp(), 1);
  EXPECT_EQ(mlp.parameter_count(), 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
  EXPECT_EQ(logits_of(mlp, torch::rand({5, 1, 28, 28})).sizes(), torch::IntArrayRef({5, 10}));
  const auto cnn = TargetModel::create(small_cnn(), 1);
  EXPECT_EQ(logits_of(cnn, torch::rand({3, 3, 16, 16})).sizes(), torch::IntArrayRef({3, 10}));
}

TEST(TargetModel, SeedDeterminesInitialWeights) {
  const auto a = TargetModel::create(small_mlp(), 3).weights();
  const auto b = TargetModel::create(small_mlp(), 3).weights();
  const auto c = TargetModel::create(small_mlp(), 4).weights();
  EXPECT_EQ(a[0].values, b[0].values);
  EXPECT_NE(a[0].values, c[0].values);
}

TEST(TargetModel, CloneIsIndependent) {
  auto model = TargetModel::create(small_mlp(), 1);
  auto copy = model.clone();
  auto weights = copy.weights();
  for (auto& v : weights[0].values) v += 1.0f;
  copy.set_weights(weights);
  EXPECT_NE(model.weights()[0].values, copy.weights()[0].values);
}

TEST(TargetModel, SaveLoadRoundTripKeepsSpecAndOutputs) {
  test::ScratchDir dir;
  for (const auto& spec : {small_mlp(), small_cnn()}) {
    const auto model = TargetModel::create(spec, 9);
    model.save(dir.file("m.pt"));
    const auto loaded = TargetModel::load(dir.file("m.pt"));
    EXPECT_EQ(loaded.spec().to_yaml(), spec.to_yaml());
    const auto x = torch::rand({4, spec.input.channels, spec.input.height, spec.input.width});
    EXPECT_TRUE(torch::equal(logits_of(model, x), logits_of(loaded, x)));
  }
}

TEST(TargetModel, LoadRejectsNonModelFiles) {
  test::ScratchDir dir;
  test::write_text(dir.file("junk.pt"), "not a model");
  test::expect_user_error([&] { TargetModel::load(dir.file("junk.pt")); }, "junk.pt",
                          "not a model file");
  test::expect_user_error([&] { TargetModel::load(dir.file("missing.pt")); }, "missing.pt",
                          "no such file");
}

std::string write_script_module(const std::string& path, int64_t classes) {
  return test::write_linear_script_module(path, 3 * 16 * 16, classes);
}

TEST(TargetModel, TorchScriptModelTrainsSavesAndLoads) {
  test::ScratchDir dir;
  ModelSpec spec;
  spec.kind = ModelKind::torchscript;
  spec.input = {3, 16, 16};
  spec.torchscript_path = write_script_module(dir.file("user.pt"), 10);
  auto model = TargetModel::create(spec, 1);
  EXPECT_EQ(model.parameter_count(), 10 * 768 + 10);
  const auto data = test::small_synthetic(400, 200, spec.input);
  const double before = evaluate(model, data.test).accuracy;
  TrainOptions options;
  options.epochs = 3;
  options.learning_rate = 0.05;
  train_model(model, data.train, options);
  const double after = evaluate(model, data.test).accuracy;
  EXPECT_GT(after, before + 0.2);
  model.save(dir.file("trained.pt"));
  const auto loaded = TargetModel::load(dir.file("trained.pt"));
  EXPECT_EQ(loaded.spec().kind, ModelKind::torchscript);
  EXPECT_DOUBLE_EQ(evaluate(loaded, data.test).accuracy, after);
  // A raw TorchScript file has no poisonsim description: load() says how to use it.
  test::expect_user_error([&] { TargetModel::load(spec.torchscript_path); }, "user.pt",
                          "model kind 'torchscript'");
}

TEST(TargetModel, TorchScriptWithWrongOutputIsRejected) {
  test::ScratchDir dir;
  ModelSpec spec;
  spec.kind = ModelKind::torchscript;
  spec.input = {3, 16, 16};
  spec.torchscript_path = write_script_module(dir.file("user.pt"), 7);
  test::expect_user_error([&] { TargetModel::create(spec, 1); }, "user.pt", "expected [N, 10]");
  spec.input = {1, 28, 28};
  spec.torchscript_path = write_script_module(dir.file("user.pt"), 10);
  test::expect_user_error([&] { TargetModel::create(spec, 1); }, "user.pt", "forward() fails");
}

}  // namespace
}  // namespace poisonsim
