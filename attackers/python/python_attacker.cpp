#include "attackers/python/python_attacker.h"

#include <memory>

#include <fmt/format.h>
#include "attackers/common/seed_samples.h"
#include "attackers/python/poison_result.h"
#include "pipeline/model/target_model.h"
#include "pipeline/python/numpy_views.h"
#include "sim/kernel/random_stream.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim::python {

PythonAttacker::PythonAttacker(const PluginSpec& spec, const PoisonShape& shape)
    : object_(spec), shape_(shape) {
  py::gil_scoped_acquire gil;
  needs_weights_ = object_.flag("needs_weights");
}

PythonAttacker::~PythonAttacker() {
  py::gil_scoped_acquire gil;
  weights_ = py::object();
}

uint64_t PythonAttacker::batch_seed(const AttackContext& context) {
  if (!seeded_) {
    const auto state = context.rng.state();
    seed_base_ = derive_seed(state[0] ^ state[1] ^ state[2] ^ state[3], "attacker/python");
    seeded_ = true;
  }
  return derive_seed(seed_base_, fmt::format("batch {}", batches_++));
}

py::object PythonAttacker::weights(const AttackContext& context) {
  if (weights_ && weights_version_ == context.model_version) return weights_;
  ModelWeights tensors;
  try {
    tensors = context.model.weights();
  } catch (const std::logic_error&) {
    throw UserError(object_.spec().file,
                    fmt::format("class {} sets needs_weights, which needs an mlp or cnn target "
                                "model (a TorchScript target exports no named weights)",
                                object_.spec().class_name));
  }
  py::dict out;
  for (const auto& t : tensors) {
    auto array = copy_array(t.values.data(), std::vector<ssize_t>(t.shape.begin(), t.shape.end()));
    array.attr("setflags")(py::arg("write") = false);  // shared by the batches of one version
    out[py::str(t.name)] = array;
  }
  weights_ = out;
  weights_version_ = context.model_version;
  return weights_;
}

py::object PythonAttacker::request(AttackContext& context, int64_t count, uint64_t seed,
                                   const py::object& draw_rows) {
  const Dataset& pool = context.clean_pool;
  const Dataset& validation = context.validation;
  const auto& s = shape_.image;
  const auto images = [&s](const Dataset& d) {
    return view_array(d.pixels.data(), {static_cast<ssize_t>(d.size()), s.channels, s.height,
                                        s.width});
  };
  py::dict r;
  r["count"] = count;
  r["seed"] = seed;
  r["time"] = context.now;
  r["model_version"] = context.model_version;
  r["num_classes"] = shape_.num_classes;
  r["image_shape"] = py::make_tuple(s.channels, s.height, s.width);
  r["pool_images"] = images(pool);
  r["pool_labels"] = view_array(pool.labels.data(), {static_cast<ssize_t>(pool.size())});
  r["validation_images"] = images(validation);
  r["validation_labels"] =
      view_array(validation.labels.data(), {static_cast<ssize_t>(validation.size())});
  r["draw_seed_rows"] = draw_rows;
  if (needs_weights_) r["weights"] = weights(context);
  return py::module_::import("types").attr("SimpleNamespace")(**r);
}

PoisonBatch PythonAttacker::generate(AttackContext& context, int64_t count) {
  const uint64_t seed = batch_seed(context);
  py::gil_scoped_acquire gil;
  const CodeSite site = object_.site("generate");
  // The attacker's own stream, reachable only during this call (the flag outlives it in any
  // function object the user kept).
  auto live = std::make_shared<bool>(true);
  RandomStream* rng = &context.rng;
  const size_t pool_size = context.clean_pool.size();
  // A misuse raises ValueError in the user's code, so the error line names their call.
  const py::cpp_function draw_rows([live, rng, pool_size](int64_t n) {
    if (!*live) throw py::value_error("draw_seed_rows() called after generate() returned");
    if (n < 0 || (n > 0 && pool_size == 0))
      throw py::value_error(
          fmt::format("draw_seed_rows({}) on a pool of {} samples", n, pool_size));
    const auto rows = draw_seed_rows(pool_size, n, *rng);
    const std::vector<int64_t> out(rows.begin(), rows.end());
    return copy_array(out.data(), {static_cast<ssize_t>(out.size())});
  });
  PoisonBatch batch;
  try {
    const py::object value = object_.call("generate", request(context, count, seed, draw_rows));
    batch = poison_result(value, count, shape_, context.clean_pool, site);
  } catch (...) {
    *live = false;
    throw;
  }
  *live = false;
  return batch;
}

void PythonAttacker::save_state(StateOut& out) const {
  out.section("attacker/python");
  out(seeded_, seed_base_, batches_);
  object_.save_state(out, "attacker/python/state");
}

void PythonAttacker::load_state(StateIn& in) {
  in.section("attacker/python");
  in(seeded_, seed_base_, batches_);
  object_.load_state(in, "attacker/python/state");
  py::gil_scoped_acquire gil;
  weights_ = py::object();  // handed out again for the resumed model
  weights_version_ = -1;
}

}  // namespace poisonsim::python
