// A checkpoint proves itself (issue 28, item 2): each part's digest is written with it and
// checked before anything is restored, so an edit (the scenario's seed 5 -> 6) or damage is one
// UserError naming the part, never a resumed run that is silently wrong.
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/checkpoint_file.h"
#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

CheckpointFile sample_checkpoint() {
  CheckpointFile c;
  c.poisonsim_version = "test";
  c.scenario_path = "scenario.yaml";
  c.scenario_yaml = "seed: 5\nduration: 100\n";
  c.trace_output = "run.h5";
  c.time = 40.5;
  c.every = 20;
  c.machine = "a CPU; a BLAS";
  c.state = std::string(3000, 's') + "end of state";
  c.trace = "trace bytes";
  return c;
}

class CheckpointDigest : public ::testing::Test {
 protected:
  void SetUp() override { write_checkpoint_file(path, sample_checkpoint()); }
  // Opens the written checkpoint for editing, as a user (or a failing disk) would change it.
  hdf5::Hid open_for_edit() {
    return hdf5::Hid(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  }
  test::ScratchDir dir;
  std::string path = dir.file("run.checkpoint");
};

TEST_F(CheckpointDigest, AnIntactCheckpointReadsBack) {
  const auto c = read_checkpoint_file(path);
  EXPECT_EQ(c.scenario_yaml, sample_checkpoint().scenario_yaml);
  EXPECT_EQ(c.state, sample_checkpoint().state);
  EXPECT_EQ(c.time, 40.5);
}

TEST_F(CheckpointDigest, AnEditedScenarioIsRefusedNamingIt) {
  {
    auto file = open_for_edit();
    hdf5::write_string_attribute(file.get(), "scenario", "seed: 6\nduration: 100\n", path);
  }
  test::expect_user_error([&] { read_checkpoint_file(path); }, path,
                          "its scenario does not match the digest");
}

TEST_F(CheckpointDigest, AFlippedByteInTheStateIsRefusedNamingIt) {
  {
    auto file = open_for_edit();
    hdf5::Hid state(H5Dopen2(file.get(), "state", H5P_DEFAULT), H5Dclose);
    std::string bytes = sample_checkpoint().state;
    bytes[1234] ^= 0x01;
    ASSERT_GE(H5Dwrite(state.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
              0);
  }
  test::expect_user_error([&] { read_checkpoint_file(path); }, path,
                          "its state does not match the digest");
}

TEST_F(CheckpointDigest, SeveralChangedPartsAreAllNamed) {
  {
    auto file = open_for_edit();
    hdf5::write_string_attribute(file.get(), "time", "41", path);
    hdf5::write_string_attribute(file.get(), "scenario_path", "other.yaml", path);
  }
  test::expect_user_error([&] { read_checkpoint_file(path); }, path,
                          "its scenario and settings do not match");
}

TEST_F(CheckpointDigest, ACheckpointWithoutDigestsIsRefused) {
  {
    auto file = open_for_edit();
    ASSERT_GE(H5Adelete(file.get(), "digest_state"), 0);
  }
  test::expect_user_error([&] { read_checkpoint_file(path); }, path, "has no digest");
}

}  // namespace
}  // namespace poisonsim
