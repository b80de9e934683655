#include "pipeline/plugins/sample_guard.h"

#include <limits>

namespace poisonsim {

double SampleGuard::threshold() const { return std::numeric_limits<double>::quiet_NaN(); }

}  // namespace poisonsim
