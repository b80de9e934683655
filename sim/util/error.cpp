#include "sim/util/error.h"

namespace poisonsim {

UserError::UserError(const std::string& where, const std::string& problem)
    : std::runtime_error(where.empty() ? problem : where + ": " + problem),
      where_(where),
      problem_(problem) {}

}  // namespace poisonsim
