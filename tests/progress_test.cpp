// Progress lines: rounded amounts, and the final line says where the work ended.
#include "sim/util/progress.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace poisonsim {
namespace {

// Everything a Progress wrote to a temporary file.
template <typename Use>
std::string written(Use use) {
  std::FILE* file = std::tmpfile();
  use(file);
  std::rewind(file);
  std::string text;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, file)) text += buffer;
  std::fclose(file);
  return text;
}

TEST(Progress, LinesShowRoundedAmountsAndTheFinalState) {
  const auto long_work = written([](std::FILE* out) {
    Progress progress("simulate", 600, "s simulated", Progress::Style::lines, out);
    progress.update(583.214);
    progress.update(600);
    progress.finish();
  });
  EXPECT_NE(long_work.find("simulate: 100% 600/600 s simulated in 00:00"), std::string::npos)
      << long_work;
  EXPECT_EQ(long_work.find("583.214"), std::string::npos) << long_work;

  const auto short_work = written([](std::FILE* out) {
    Progress progress("train", 40, "samples", Progress::Style::lines, out);
    progress.update(12.3456);
    progress.finish();
  });
  EXPECT_NE(short_work.find("train:  31% 12.3/40 samples in"), std::string::npos) << short_work;
}

}  // namespace
}  // namespace poisonsim
