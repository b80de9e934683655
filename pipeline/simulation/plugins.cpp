#include "pipeline/simulation/plugins.h"

#include <limits>

namespace poisonsim {

double SampleGuard::threshold() const { return std::numeric_limits<double>::quiet_NaN(); }

}  // namespace poisonsim
