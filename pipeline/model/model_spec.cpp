#include "pipeline/model/model_spec.h"

#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sim/util/error.h"

namespace poisonsim {

const EnumNames<ModelKind>& model_kind_names() {
  static const EnumNames<ModelKind> names(
      "model kind",
      {{ModelKind::mlp, "mlp"}, {ModelKind::cnn, "cnn"}, {ModelKind::torchscript, "torchscript"}});
  return names;
}

ModelKind parse_model_kind(const std::string& text, const std::string& where) {
  return model_kind_names().parse(text, where);
}

std::string to_string(ModelKind value) { return model_kind_names().name(value); }

void ModelSpec::validate(const std::string& where) const {
  if (input.channels < 1 || input.height < 1 || input.width < 1)
    throw UserError(where + ".input", fmt::format("bad input shape {}", input.str()));
  if (num_classes < 2)
    throw UserError(where + ".num_classes", fmt::format("{}: expected at least 2", num_classes));
  for (auto width : hidden)
    if (width < 1 || width > 65536)
      throw UserError(where + ".hidden", fmt::format("width {}: expected 1 to 65536", width));
  if (kind == ModelKind::cnn) {
    if (conv_channels.empty())
      throw UserError(where + ".conv_channels", "a cnn needs at least one conv layer");
    for (auto channels : conv_channels)
      if (channels < 1 || channels > 4096)
        throw UserError(where + ".conv_channels",
                        fmt::format("{} channels: expected 1 to 4096", channels));
    if (kernel_size < 1 || kernel_size % 2 == 0 || kernel_size > 11)
      throw UserError(where + ".kernel_size",
                      fmt::format("{}: expected an odd size from 1 to 11", kernel_size));
    const auto features = feature_shape();
    if (features.height < 1 || features.width < 1)
      throw UserError(where + ".conv_channels",
                      fmt::format("{} pooling stages shrink a {}x{} input to nothing",
                                  conv_channels.size(), input.height, input.width));
  }
  if (kind == ModelKind::torchscript && torchscript_path.empty())
    throw UserError(where + ".path", "a torchscript model needs the path of its .pt file");
}

ImageShape ModelSpec::feature_shape() const {
  if (kind != ModelKind::cnn) return input;
  ImageShape s = input;
  for (auto channels : conv_channels) {
    s.channels = channels;
    s.height /= 2;
    s.width /= 2;
  }
  return s;
}

std::string ModelSpec::describe() const {
  std::vector<int64_t> widths{feature_shape().numel()};
  widths.insert(widths.end(), hidden.begin(), hidden.end());
  widths.push_back(num_classes);
  switch (kind) {
    case ModelKind::mlp:
      return fmt::format("mlp {}", fmt::join(widths, "-"));
    case ModelKind::cnn:
      return fmt::format("cnn {} conv{}x{} [{}] fc {}", input.str(), kernel_size, kernel_size,
                         fmt::join(conv_channels, ","), fmt::join(widths, "-"));
    case ModelKind::torchscript:
      return fmt::format("torchscript {}", torchscript_path);
  }
  return "?";
}

std::string ModelSpec::to_yaml() const {
  YAML::Emitter out;
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << to_string(kind);
  out << YAML::Key << "input" << YAML::Value << YAML::BeginSeq << input.channels << input.height
      << input.width << YAML::EndSeq;
  out << YAML::Key << "num_classes" << YAML::Value << num_classes;
  out << YAML::Key << "hidden" << YAML::Value << hidden;
  if (kind == ModelKind::cnn) {
    out << YAML::Key << "conv_channels" << YAML::Value << conv_channels;
    out << YAML::Key << "kernel_size" << YAML::Value << kernel_size;
  }
  if (kind == ModelKind::torchscript) out << YAML::Key << "path" << YAML::Value << torchscript_path;
  out << YAML::EndMap;
  return out.c_str();
}

ModelSpec ModelSpec::from_yaml(const std::string& text, const std::string& where) {
  try {
    const YAML::Node node = YAML::Load(text);
    ModelSpec spec;
    spec.kind = parse_model_kind(node["kind"].as<std::string>(), where + ".kind");
    const auto input = node["input"].as<std::vector<int64_t>>();
    if (input.size() != 3) throw UserError(where + ".input", "expected [channels, height, width]");
    spec.input = {input[0], input[1], input[2]};
    spec.num_classes = node["num_classes"].as<int64_t>();
    spec.hidden = node["hidden"].as<std::vector<int64_t>>();
    if (node["conv_channels"])
      spec.conv_channels = node["conv_channels"].as<std::vector<int64_t>>();
    if (node["kernel_size"]) spec.kernel_size = node["kernel_size"].as<int64_t>();
    if (node["path"]) spec.torchscript_path = node["path"].as<std::string>();
    spec.validate(where);
    return spec;
  } catch (const YAML::Exception& e) {
    throw UserError(where, fmt::format("unreadable model description ({})", e.what()));
  }
}

ModelSpec default_model_for(const ImageShape& input, int64_t num_classes) {
  ModelSpec spec;
  spec.input = input;
  spec.num_classes = num_classes;
  if (input.channels == 3) {
    spec.kind = ModelKind::cnn;
    spec.conv_channels = {32, 64};
    spec.hidden = {256};
  }
  return spec;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> parameter_shapes(const ModelSpec& spec) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  int64_t in_channels = spec.input.channels;
  if (spec.kind == ModelKind::cnn) {
    for (size_t i = 0; i < spec.conv_channels.size(); ++i) {
      const int64_t out = spec.conv_channels[i];
      shapes.push_back({fmt::format("conv{}.weight", i),
                        {out, in_channels, spec.kernel_size, spec.kernel_size}});
      shapes.push_back({fmt::format("conv{}.bias", i), {out}});
      in_channels = out;
    }
  }
  int64_t in_features = spec.feature_shape().numel();
  for (size_t i = 0; i <= spec.hidden.size(); ++i) {
    const int64_t out = i < spec.hidden.size() ? spec.hidden[i] : spec.num_classes;
    shapes.push_back({fmt::format("fc{}.weight", i), {out, in_features}});
    shapes.push_back({fmt::format("fc{}.bias", i), {out}});
    in_features = out;
  }
  return shapes;
}

}  // namespace poisonsim
