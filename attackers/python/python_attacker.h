#pragma once
// `attacker: {type: python, file: ..., class: ...}`: a poison generator written in Python. The
// user's generate(request) is called once per poison batch with the attacker's clean pool, the
// batch size asked, a seed for its own random numbers and, when the class sets
// `needs_weights = True`, the weights of the model the attacker knows, as NumPy arrays; it
// returns the poison images and labels, checked here (docs/plugins.md).
#include <cstdint>

#include "pipeline/plugins/attacker.h"
#include "pipeline/python/python_plugin.h"

namespace poisonsim::python {

class PythonAttacker : public PoisonGenerator {
 public:
  PythonAttacker(const PluginSpec& spec, const PoisonShape& shape);
  ~PythonAttacker() override;

  PoisonBatch generate(AttackContext& context, int64_t count) override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  uint64_t batch_seed(const AttackContext& context);
  py::object request(AttackContext& context, int64_t count, uint64_t seed,
                     const py::object& draw_rows);
  py::object weights(const AttackContext& context);

  PluginObject object_;
  PoisonShape shape_;
  bool needs_weights_ = false;
  // Each batch's seed derives from a base taken from the attacker's stream at the first batch
  // without drawing from it, so a class that draws seeds through draw_seed_rows() uses the
  // stream exactly as the C++ baselines do.
  bool seeded_ = false;
  uint64_t seed_base_ = 0;
  int64_t batches_ = 0;
  // The weights dict handed out, kept while the attacker's model version stays the same.
  py::object weights_;
  int64_t weights_version_ = -1;
};

}  // namespace poisonsim::python
