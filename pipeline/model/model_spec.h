#pragma once
// What a target model is, without LibTorch: the training side (LibTorch) and the serving side
// (oneDNN) both build their networks from this description.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

enum class ModelKind {
  mlp,          // flatten, then Linear+ReLU per hidden width, then Linear to the classes
  cnn,          // per conv width: Conv kxk (same padding)+ReLU+MaxPool 2x2; then as mlp
  torchscript,  // a user-supplied TorchScript module (training side only)
};

struct ModelSpec {
  ModelKind kind = ModelKind::mlp;
  ImageShape input{1, 28, 28};
  int64_t num_classes = 10;
  std::vector<int64_t> hidden{256};            // fully connected hidden widths
  std::vector<int64_t> conv_channels{32, 64};  // cnn only
  int64_t kernel_size = 3;                     // cnn only, odd
  std::string torchscript_path;                // torchscript only

  // Throws UserError naming `where` (e.g. "model") when a value is out of range.
  void validate(const std::string& where = "model") const;
  // Spatial size after the conv/pool stages (cnn) or the input (mlp).
  ImageShape feature_shape() const;
  std::string describe() const;  // e.g. "mlp 784-256-10"

  // A compact YAML text of the spec, stored inside model files so they describe themselves.
  std::string to_yaml() const;
  static ModelSpec from_yaml(const std::string& text, const std::string& where);
};

const EnumNames<ModelKind>& model_kind_names();  // the names scenarios use
ModelKind parse_model_kind(const std::string& text, const std::string& where);
std::string to_string(ModelKind kind);

// The default target for a data set: the paper's MLP for grey 28x28, its CNN for colour 32x32.
ModelSpec default_model_for(const ImageShape& input, int64_t num_classes);

// A named parameter tensor as plain floats, in the layout LibTorch uses (Linear: out x in;
// Conv: out x in x k x k). Parameters are ordered layer by layer, weight before bias.
struct ParameterTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};
using ModelWeights = std::vector<ParameterTensor>;

// The parameter shapes a native (mlp/cnn) spec implies, in ModelWeights order.
std::vector<std::pair<std::string, std::vector<int64_t>>> parameter_shapes(const ModelSpec& spec);

}  // namespace poisonsim
