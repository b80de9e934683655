#include "attackers/generative/generator_net.h"

#include <cmath>

#include <fmt/format.h>

#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr int64_t kKernel = 4;  // with stride 2 and padding 1, a conv halves each side exactly

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, PyTorch's default, from our stream.
torch::Tensor uniform_tensor(const std::vector<int64_t>& shape, int64_t fan_in, RandomStream& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  auto tensor = torch::empty(shape, torch::kFloat32);
  float* data = tensor.data_ptr<float>();
  for (int64_t i = 0; i < tensor.numel(); ++i)
    data[i] = static_cast<float>(rng.uniform(-bound, bound));
  return tensor.requires_grad_(true);
}

bool halves_evenly(const ImageShape& input, size_t levels) {
  const int64_t factor = int64_t{1} << levels;
  return input.height % factor == 0 && input.width % factor == 0;
}

// input, encoder..., code, decoder..., input.
std::vector<int64_t> mlp_widths(const GeneratorSpec& spec, const ImageShape& input) {
  std::vector<int64_t> widths{input.numel()};
  widths.insert(widths.end(), spec.encoder.begin(), spec.encoder.end());
  widths.push_back(spec.code);
  widths.insert(widths.end(), spec.decoder.begin(), spec.decoder.end());
  widths.push_back(input.numel());
  return widths;
}

GeneratorKind resolve_kind(const GeneratorSpec& spec, const ImageShape& input) {
  if (spec.kind != GeneratorKind::automatic) return spec.kind;
  const bool conv_fits = input.channels > 1 && halves_evenly(input, spec.conv_channels.size());
  return conv_fits ? GeneratorKind::conv : GeneratorKind::mlp;
}

}  // namespace

GeneratorNet::GeneratorNet(const GeneratorSpec& spec, const ImageShape& input, uint64_t seed,
                           const std::string& where)
    : kind_(resolve_kind(spec, input)), spec_(spec), input_(input) {
  RandomStream rng(seed, "generator/init");
  if (kind_ == GeneratorKind::mlp) {
    const auto widths = mlp_widths(spec, input);
    for (size_t i = 0; i + 1 < widths.size(); ++i) {
      params_.push_back(uniform_tensor({widths[i + 1], widths[i]}, widths[i], rng));
      params_.push_back(uniform_tensor({widths[i + 1]}, widths[i], rng));
    }
    return;
  }
  if (spec.conv_channels.empty() || !halves_evenly(input, spec.conv_channels.size()))
    throw UserError(where, fmt::format("a conv generator with {} levels needs image sides "
                                       "divisible by {}, the input is {}",
                                       spec.conv_channels.size(),
                                       int64_t{1} << spec.conv_channels.size(), input.str()));
  // Down: Conv2d weights are out x in x k x k. Up: ConvTranspose2d weights are in x out x k x k,
  // and PyTorch takes fan_in from dimension 1 for them as well.
  int64_t channels = input.channels;
  for (int64_t out : spec.conv_channels) {
    params_.push_back(uniform_tensor({out, channels, kKernel, kKernel}, channels * 16, rng));
    params_.push_back(uniform_tensor({out}, channels * 16, rng));
    channels = out;
  }
  for (size_t level = spec.conv_channels.size(); level-- > 0;) {
    const int64_t out = level == 0 ? input.channels : spec.conv_channels[level - 1];
    params_.push_back(uniform_tensor({channels, out, kKernel, kKernel}, out * 16, rng));
    params_.push_back(uniform_tensor({out}, out * 16, rng));
    channels = out;
  }
}

torch::Tensor GeneratorNet::forward(const torch::Tensor& images) const {
  const auto out = kind_ == GeneratorKind::mlp ? forward_mlp(images) : forward_conv(images);
  if (spec_.residual == 0) return out;
  // 2 sigmoid(z) - 1 = tanh(z / 2): the same last layer, read as a bounded change.
  return torch::clamp(images + spec_.residual * (2 * out - 1), 0, 1);
}

torch::Tensor GeneratorNet::forward_mlp(const torch::Tensor& images) const {
  torch::Tensor x = images.flatten(1);
  const size_t layers = params_.size() / 2;
  for (size_t i = 0; i < layers; ++i) {
    x = torch::linear(x, params_[2 * i], params_[2 * i + 1]);
    x = i + 1 < layers ? torch::relu(x) : torch::sigmoid(x);
  }
  return x.view(images.sizes());
}

torch::Tensor GeneratorNet::forward_conv(const torch::Tensor& images) const {
  torch::Tensor x = images;
  const size_t levels = spec_.conv_channels.size();
  for (size_t i = 0; i < levels; ++i)
    x = torch::relu(torch::conv2d(x, params_[2 * i], params_[2 * i + 1], /*stride=*/2,
                                  /*padding=*/1));
  for (size_t i = levels; i < 2 * levels; ++i) {
    x = torch::conv_transpose2d(x, params_[2 * i], params_[2 * i + 1], /*stride=*/2,
                                /*padding=*/1);
    x = i + 1 < 2 * levels ? torch::relu(x) : torch::sigmoid(x);
  }
  return x;
}

std::string GeneratorNet::describe() const {
  if (kind_ == GeneratorKind::mlp)
    return fmt::format("mlp {}", fmt::join(mlp_widths(spec_, input_), "-"));
  return fmt::format("conv {} -> {} (stride 2) -> {}", input_.str(),
                     fmt::join(spec_.conv_channels, "-"), input_.str());
}

std::vector<torch::Tensor> GeneratorNet::snapshot() const {
  std::vector<torch::Tensor> out;
  for (const auto& p : params_) out.push_back(p.detach().clone());
  return out;
}

void GeneratorNet::restore(const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(weights[i]);
}

GeneratorWeights initial_generator_weights(const GeneratorSpec& spec, const ImageShape& input,
                                           uint64_t seed) {
  const GeneratorNet net(spec, input, seed);
  GeneratorWeights out;
  out.kind = net.kind();
  for (const auto& p : net.parameters()) {
    const auto values = p.detach().contiguous();
    ParameterTensor tensor;
    tensor.name = fmt::format("p{}", out.weights.size());
    tensor.shape = values.sizes().vec();
    tensor.values.assign(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
    out.weights.push_back(std::move(tensor));
  }
  return out;
}

}  // namespace poisonsim
