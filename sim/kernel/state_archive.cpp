#include "sim/kernel/state_archive.h"

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {

StateIn::StateIn(const std::string& bytes, std::string where)
    : stream_(bytes), archive_(stream_), where_(std::move(where)) {}

void StateIn::section(std::string_view name) {
  std::string found;
  (*this)(found);
  if (found != name)
    throw UserError(where_, fmt::format("does not match this scenario: expected the state of "
                                        "'{}', found '{}' (was it saved by another scenario or "
                                        "poisonsim version?)",
                                        name, found.substr(0, 64)));
}

void StateIn::get(RandomStream& stream) {
  std::array<uint64_t, 4> state{};
  (*this)(state);
  stream.set_state(state);
}

void StateIn::expect_end() {
  if (stream_.peek() != std::istringstream::traits_type::eof())
    throw UserError(where_, "has more state than this scenario uses (saved by another scenario?)");
}

void StateIn::truncated(const char* detail) const {
  throw UserError(where_, fmt::format("the saved state is truncated or corrupt ({})", detail));
}

}  // namespace poisonsim
