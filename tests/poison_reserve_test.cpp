#include "pipeline/simulation/poison_reserve.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "attackers/baselines/label_flip.h"
#include "pipeline/model/target_model.h"
#include "sim/kernel/random_stream.h"
#include "sim/kernel/state_archive.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// Label-flip poison whose calls and requested counts are counted.
class CountingAttacker : public PoisonGenerator {
 public:
  explicit CountingAttacker(std::vector<int64_t>* calls) : calls_(calls) {}
  PoisonBatch generate(AttackContext& context, int64_t count) override {
    calls_->push_back(count);
    return flip_.generate(context, count);
  }

 private:
  LabelFlipAttacker flip_{PoisonLabels::next_class};
  std::vector<int64_t>* calls_;
};

struct Attacked {
  Dataset pool = test::small_synthetic(300, 10).train;
  TargetModel model = TargetModel::create(ModelSpec{}, 1);
  RandomStream rng{7};
  std::vector<int64_t> calls;
  AttackContext context(int64_t version) { return {model, pool, pool, rng, 0.0, version}; }
};

TEST(PoisonReserve, MakesAheadAndHandsOutInOrderUntilTheModelChanges) {
  Attacked s;
  PoisonReserve reserve(std::make_unique<CountingAttacker>(&s.calls), 100);
  auto v0 = s.context(0);
  std::vector<int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    const auto batch = reserve.generate(v0, 32);
    ASSERT_EQ(batch.samples.size(), 32u);
    for (size_t k = 0; k < 32; ++k)
      EXPECT_EQ(batch.samples.labels[k], (batch.seeds.labels[k] + 1) % 10);
    seen.insert(seen.end(), batch.seeds.labels.begin(), batch.seeds.labels.end());
  }
  EXPECT_EQ(s.calls, (std::vector<int64_t>{100}));  // one generation served three batches
  // The fourth batch needs 32 and 4 are left: those 4 start it, a new reserve gives the rest.
  EXPECT_EQ(reserve.generate(v0, 32).samples.size(), 32u);
  EXPECT_EQ(s.calls, (std::vector<int64_t>{100, 100}));
  EXPECT_EQ(reserve.dropped(), 0);
  // A new model: the 72 left are dropped and the next batch is made against it.
  auto v1 = s.context(1);
  EXPECT_EQ(reserve.generate(v1, 10).samples.size(), 10u);
  EXPECT_EQ(s.calls, (std::vector<int64_t>{100, 100, 100}));
  EXPECT_EQ(reserve.dropped(), 72);
  // A batch larger than the reserve size is made whole.
  EXPECT_EQ(reserve.generate(v1, 200).samples.size(), 200u);
  EXPECT_EQ(s.calls.back(), 200);
}

TEST(PoisonReserve, ACheckpointResumesTheSameBatches) {
  Attacked a;
  PoisonReserve first(std::make_unique<CountingAttacker>(&a.calls), 64);
  auto ctx = a.context(3);
  first.generate(ctx, 20);
  StateOut out;
  out.put(a.rng);
  first.save_state(out);
  const auto expected = first.generate(ctx, 30);

  Attacked b;
  PoisonReserve resumed(std::make_unique<CountingAttacker>(&b.calls), 64);
  StateIn in(out.bytes(), "test checkpoint");
  in.get(b.rng);
  resumed.load_state(in);
  auto ctx_b = b.context(3);
  const auto batch = resumed.generate(ctx_b, 30);
  EXPECT_TRUE(b.calls.empty());  // served from the restored reserve
  EXPECT_EQ(batch.samples.pixels, expected.samples.pixels);
  EXPECT_EQ(batch.samples.labels, expected.samples.labels);
  EXPECT_EQ(batch.seeds.labels, expected.seeds.labels);
}

}  // namespace
}  // namespace poisonsim
