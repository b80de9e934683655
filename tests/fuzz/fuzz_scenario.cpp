// Scenario parsing and validation from YAML text, no data loaded: any input must end in a
// Scenario or a UserError. Anything else (another exception, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/scenario/scenario.h"
#include "sim/util/error.h"
#include "tools/common/builtin_plugins.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    poisonsim::parse_scenario(text, "fuzz.yaml", {}, poisonsim::cli::builtin_plugins());
  } catch (const poisonsim::UserError&) {
  }
  return 0;
}
