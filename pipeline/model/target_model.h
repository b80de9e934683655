#pragma once
// The target model on the training side (LibTorch), behind a torch-free handle so that headers
// which everything includes stay cheap to compile. Torch code reaches the network through
// pipeline/model/torch_model.h.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/model/model_spec.h"

namespace poisonsim {

class TargetModel {
 public:
  // A native (mlp/cnn) model with weights initialised from `seed` (PyTorch's default ranges), or
  // the TorchScript module at spec.torchscript_path. Throws UserError on a bad spec or file.
  static TargetModel create(const ModelSpec& spec, uint64_t seed);
  // Reads a file written by save(). Throws UserError naming the file when it is not one.
  static TargetModel load(const std::string& path);

  TargetModel(TargetModel&&) noexcept;
  TargetModel& operator=(TargetModel&&) noexcept;
  ~TargetModel();

  // The file save() writes, in memory: a writer that checks every write (AtomicOutput) stores
  // it, so a full disk is one error, not LibTorch's writer failing in its destructor.
  std::string serialized() const;
  // Writes serialized() to `path`, checked. UserError naming `path` when it cannot.
  void save(const std::string& path) const;
  TargetModel clone() const;  // deep copy: training the clone leaves this model unchanged

  const ModelSpec& spec() const;
  bool is_native() const { return spec().kind != ModelKind::torchscript; }
  int64_t parameter_count() const;
  // Native models only (std::logic_error otherwise): the parameters as plain floats.
  ModelWeights weights() const;
  void set_weights(const ModelWeights& weights);

  // Checkpoints, native and TorchScript models alike: the values of every tensor training
  // changes (parameters, and a TorchScript module's buffers such as batch-norm statistics), in
  // a fixed order. set_state() takes them back into a model of the same spec; UserError naming
  // `where` when counts or sizes differ.
  std::vector<std::vector<float>> state() const;
  void set_state(const std::vector<std::vector<float>>& values, const std::string& where);

  struct Impl;
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  explicit TargetModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace poisonsim
