#pragma once
// `--set key.path=value` overrides, applied to the YAML document before validation so that an
// overridden value is checked exactly like one written in the file.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "pipeline/scenario/config_node.h"

namespace poisonsim {

// Each override is "a.b.0.c=value"; the value is read as YAML ("3", "[1, 2]", "poisson").
// Numeric segments index lists; missing mappings on the way are created. Records every
// overridden path in `source`. Throws UserError naming the override when it cannot apply.
void apply_overrides(YAML::Node& document, const std::vector<std::string>& overrides,
                     ConfigSource& source);

}  // namespace poisonsim
