#include "pipeline/model/torch_model.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "pipeline/runtime/provenance.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {
namespace {

constexpr const char* kFormatKey = "poisonsim_format";
constexpr const char* kFormat = "poisonsim-model-1";
constexpr const char* kSpecKey = "poisonsim_spec";
constexpr const char* kScriptSpecFile = "poisonsim_spec.yaml";
// Who made the file (pipeline/provenance); loading does not need it.
constexpr const char* kProvenanceKey = "poisonsim_provenance";
constexpr const char* kProvenanceFile = "poisonsim_provenance.json";

// Archive keys cannot contain dots.
std::string archive_key(const std::string& name) {
  std::string key = name;
  for (auto& c : key)
    if (c == '.') c = '_';
  return key;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// PyTorch's default initialisation (kaiming_uniform with a = sqrt(5)): U(-1/sqrt(fan_in), ...)
// for weights and biases alike, drawn from our own stream so it is the same on every machine.
std::vector<torch::Tensor> init_parameters(const ModelSpec& spec, uint64_t seed) {
  RandomStream rng(seed, "model/init");
  std::vector<torch::Tensor> params;
  int64_t fan_in = 1;
  for (const auto& [name, shape] : parameter_shapes(spec)) {
    const bool is_weight = shape.size() > 1;
    if (is_weight) {
      fan_in = 1;
      for (size_t d = 1; d < shape.size(); ++d) fan_in *= shape[d];
    }
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    auto tensor = torch::empty(shape, torch::kFloat32);
    float* data = tensor.data_ptr<float>();
    for (int64_t i = 0; i < tensor.numel(); ++i)
      data[i] = static_cast<float>(rng.uniform(-bound, bound));
    params.push_back(tensor.requires_grad_(true));
  }
  return params;
}

torch::jit::Module load_script(const std::string& path, torch::jit::ExtraFilesMap* extra) {
  require_regular_file(path, "a poisonsim model or a TorchScript module");
  try {
    torch::jit::ExtraFilesMap unused;
    return torch::jit::load(path, torch::kCPU, extra ? *extra : unused);
  } catch (const std::exception& e) {
    throw UserError(path, fmt::format("not a model file (expected a poisonsim model or a "
                                      "TorchScript module): {}",
                                      first_line(e.what())));
  }
}

// A user module must map N x C x H x W images to N x classes logits.
void check_script_output(torch::jit::Module& module, const ModelSpec& spec) {
  torch::NoGradGuard no_grad;
  torch::Tensor out;
  try {
    out =
        module
            .forward({torch::zeros({2, spec.input.channels, spec.input.height, spec.input.width})})
            .toTensor();
  } catch (const std::exception& e) {
    throw UserError(spec.torchscript_path, fmt::format("forward() fails on a 2x{} batch: {}",
                                                       spec.input.str(), first_line(e.what())));
  }
  if (out.dim() != 2 || out.size(0) != 2 || out.size(1) != spec.num_classes)
    throw UserError(spec.torchscript_path,
                    fmt::format("forward() returns shape {}, expected [N, {}] logits",
                                fmt::to_string(fmt::join(out.sizes(), "x")), spec.num_classes));
}

}  // namespace

torch::Tensor functional_forward(const ModelSpec& spec, const std::vector<torch::Tensor>& params,
                                 const torch::Tensor& images) {
  torch::Tensor x = images;
  size_t p = 0;
  if (spec.kind == ModelKind::cnn) {
    for (size_t i = 0; i < spec.conv_channels.size(); ++i, p += 2) {
      x = torch::conv2d(x, params[p], params[p + 1], /*stride=*/1,
                        /*padding=*/spec.kernel_size / 2);
      x = torch::max_pool2d(torch::relu(x), 2);
    }
  }
  x = x.flatten(1);
  for (size_t i = 0; i <= spec.hidden.size(); ++i, p += 2) {
    x = torch::linear(x, params[p], params[p + 1]);
    if (i < spec.hidden.size()) x = torch::relu(x);
  }
  return x;
}

std::vector<torch::Tensor> functional_sgd_step(const ModelSpec& spec,
                                               const std::vector<torch::Tensor>& params,
                                               const torch::Tensor& images,
                                               const torch::Tensor& labels, double lr,
                                               bool create_graph) {
  const auto loss =
      torch::nn::functional::cross_entropy(functional_forward(spec, params, images), labels);
  // retain_graph with create_graph: the second derivative runs back through this forward.
  const auto grads =
      torch::autograd::grad({loss}, params, {}, /*retain_graph=*/create_graph, create_graph);
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < params.size(); ++i) out.push_back(params[i] - lr * grads[i]);
  return out;
}

torch::Tensor TargetModel::Impl::forward(const torch::Tensor& images) const {
  if (script) return const_cast<torch::jit::Module&>(*script).forward({images}).toTensor();
  return functional_forward(spec, params, images);
}

std::vector<torch::Tensor> TargetModel::Impl::parameters() const {
  if (!script) return params;
  std::vector<torch::Tensor> out;
  for (const auto& p : script->parameters()) out.push_back(p);
  return out;
}

void TargetModel::Impl::set_training(bool training) {
  if (script) script->train(training);
}

torch::Tensor forward_in_chunks(const TargetModel& model, const torch::Tensor& images,
                                int64_t chunk) {
  torch::NoGradGuard no_grad;
  const int64_t n = images.size(0);
  std::vector<torch::Tensor> parts;
  for (int64_t first = 0; first < n; first += chunk)
    parts.push_back(model.impl().forward(images.narrow(0, first, std::min(chunk, n - first))));
  if (parts.empty()) return model.impl().forward(images);  // keeps the 0 x classes shape
  return parts.size() == 1 ? parts.front() : torch::cat(parts);
}

torch::Tensor images_tensor(const Dataset& data) {
  return torch::from_blob(
      const_cast<float*>(data.pixels.data()),
      {static_cast<int64_t>(data.size()), data.shape.channels, data.shape.height, data.shape.width},
      torch::kFloat32);
}

torch::Tensor labels_tensor(const Dataset& data) {
  return torch::from_blob(const_cast<int64_t*>(data.labels.data()),
                          {static_cast<int64_t>(data.size())}, torch::kInt64);
}

// ---- TargetModel ----

TargetModel::TargetModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TargetModel::TargetModel(TargetModel&&) noexcept = default;
TargetModel& TargetModel::operator=(TargetModel&&) noexcept = default;
TargetModel::~TargetModel() = default;

TargetModel TargetModel::create(const ModelSpec& spec, uint64_t seed) {
  spec.validate();
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  if (spec.kind == ModelKind::torchscript) {
    impl->script = load_script(spec.torchscript_path, nullptr);
    check_script_output(*impl->script, spec);
    for (auto p : impl->script->parameters()) p.requires_grad_(true);
  } else {
    impl->params = init_parameters(spec, seed);
  }
  return TargetModel(std::move(impl));
}

TargetModel TargetModel::load(const std::string& path) {
  torch::jit::ExtraFilesMap extra{{kScriptSpecFile, ""}};
  torch::jit::Module module = load_script(path, &extra);
  auto impl = std::make_unique<Impl>();
  if (module.hasattr(kSpecKey)) {
    if (!module.hasattr(kFormatKey) || module.attr(kFormatKey).toStringRef() != kFormat)
      throw UserError(path, fmt::format("unsupported model file format, expected {}", kFormat));
    impl->spec = ModelSpec::from_yaml(module.attr(kSpecKey).toStringRef(), path);
    for (const auto& [name, shape] : parameter_shapes(impl->spec)) {
      const auto key = archive_key(name);
      if (!module.hasattr(key)) throw UserError(path, fmt::format("parameter {} is missing", name));
      auto tensor = module.attr(key).toTensor().detach().clone().to(torch::kFloat32);
      if (tensor.sizes() != torch::IntArrayRef(shape))
        throw UserError(path, fmt::format("parameter {} has shape {}, the model needs {}", name,
                                          fmt::join(tensor.sizes(), "x"), fmt::join(shape, "x")));
      impl->params.push_back(tensor.requires_grad_(true));
    }
  } else if (!extra[kScriptSpecFile].empty()) {
    impl->spec = ModelSpec::from_yaml(extra[kScriptSpecFile], path);
    impl->spec.torchscript_path = path;
    impl->script = std::move(module);
  } else {
    throw UserError(path,
                    "is a TorchScript module without a poisonsim description: use it as a "
                    "target with model kind 'torchscript' and its path");
  }
  return TargetModel(std::move(impl));
}

std::string TargetModel::serialized() const {
  std::ostringstream out;
  try {
    if (impl_->script) {
      ModelSpec spec = impl_->spec;
      torch::jit::ExtraFilesMap extra{{kScriptSpecFile, spec.to_yaml()},
                                      {kProvenanceFile, provenance_json(0)}};
      impl_->script->save(out, extra);
      return out.str();
    }
    torch::serialize::OutputArchive archive;
    archive.write(kFormatKey, c10::IValue(std::string(kFormat)));
    archive.write(kSpecKey, c10::IValue(impl_->spec.to_yaml()));
    archive.write(kProvenanceKey, c10::IValue(provenance_json(0)));
    const auto shapes = parameter_shapes(impl_->spec);
    for (size_t i = 0; i < shapes.size(); ++i)
      archive.write(archive_key(shapes[i].first), impl_->params[i].detach(), /*is_buffer=*/true);
    archive.save_to(out);
  } catch (const c10::Error& e) {
    throw UserError("model", fmt::format("cannot serialize the model: {}", first_line(e.what())));
  }
  return out.str();
}

void TargetModel::save(const std::string& path) const {
  const std::string bytes = serialized();
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    throw UserError(path, fmt::format("cannot write the model file: {}",
                                      errno ? std::strerror(errno) : "unknown error"));
}

TargetModel TargetModel::clone() const {
  auto impl = std::make_unique<Impl>();
  impl->spec = impl_->spec;
  if (impl_->script) {
    impl->script = impl_->script->deepcopy();
  } else {
    for (const auto& p : impl_->params)
      impl->params.push_back(p.detach().clone().requires_grad_(true));
  }
  return TargetModel(std::move(impl));
}

const ModelSpec& TargetModel::spec() const { return impl_->spec; }

int64_t TargetModel::parameter_count() const {
  int64_t count = 0;
  for (const auto& p : impl_->parameters()) count += p.numel();
  return count;
}

ModelWeights TargetModel::weights() const {
  if (!is_native()) throw std::logic_error("weights(): only native models export plain weights");
  ModelWeights out;
  const auto shapes = parameter_shapes(impl_->spec);
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto t = impl_->params[i].detach().contiguous();
    out.push_back({shapes[i].first, shapes[i].second,
                   std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel())});
  }
  return out;
}

void TargetModel::set_weights(const ModelWeights& weights) {
  if (!is_native()) throw std::logic_error("set_weights(): only native models take plain weights");
  const auto shapes = parameter_shapes(impl_->spec);
  if (weights.size() != shapes.size()) throw std::logic_error("set_weights(): wrong tensor count");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (weights[i].shape != shapes[i].second)
      throw std::logic_error("set_weights(): wrong shape for " + shapes[i].first);
    auto source = torch::from_blob(const_cast<float*>(weights[i].values.data()), shapes[i].second,
                                   torch::kFloat32);
    impl_->params[i].copy_(source);
  }
}

}  // namespace poisonsim
