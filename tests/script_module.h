#pragma once
// A user-supplied TorchScript target for tests: a linear classifier compiled from TorchScript
// source in C++ (no Python needed) and saved to `path`.
#include <string>

#include <torch/script.h>
#include <torch/torch.h>

namespace poisonsim::test {

inline std::string write_linear_script_module(const std::string& path, int64_t in_features,
                                              int64_t classes) {
  torch::jit::Module module("UserNet");
  module.register_parameter("w", torch::randn({classes, in_features}) * 0.01, false);
  module.register_parameter("b", torch::zeros({classes}), false);
  module.define(R"JIT(
def forward(self, x):
    return torch.addmm(self.b, x.flatten(1), self.w.t())
)JIT");
  module.save(path);
  return path;
}

}  // namespace poisonsim::test
