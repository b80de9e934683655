// Prints C++'s intervals for cases read as JSON from stdin, for tests/intervals_agree_test.py to
// hold python/poisonsim/intervals.py to: `interval_cases < cases.json`. Input
// {"cases": [{"values": [...], "kind": "proportion"}, ...], "quantiles": [[p, df], ...]};
// output {"cases": [{n, mean, sd, t, low, high}], "quantiles": [...], "metrics": {name: kind}}.
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/trace/confidence_interval.h"
#include "pipeline/trace/run_metrics.h"

namespace {

using poisonsim::QuantityKind;

QuantityKind kind_of(const std::string& name) {
  for (auto kind : {QuantityKind::proportion, QuantityKind::count, QuantityKind::unbounded})
    if (name == poisonsim::quantity_kind_name(kind)) return kind;
  throw std::invalid_argument("unknown kind " + name);
}

nlohmann::json number(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

}  // namespace

int main() {
  try {
    const auto input = nlohmann::json::parse(std::cin);
    nlohmann::json out = {{"cases", nlohmann::json::array()},
                          {"quantiles", nlohmann::json::array()},
                          {"metrics", nlohmann::json::object()}};
    for (const auto& c : input.at("cases")) {
      std::vector<double> values;
      for (const auto& v : c.at("values")) values.push_back(v.is_null() ? NAN : v.get<double>());
      const auto i = poisonsim::mean_interval(values, kind_of(c.at("kind").get<std::string>()));
      out["cases"].push_back({{"n", i.n},
                              {"mean", number(i.mean)},
                              {"sd", number(i.sd)},
                              {"t", number(i.t)},
                              {"low", number(i.low)},
                              {"high", number(i.high)}});
    }
    for (const auto& q : input.at("quantiles"))
      out["quantiles"].push_back(
          poisonsim::student_t_quantile(q.at(0).get<double>(), q.at(1).get<double>()));
    for (const auto& field : poisonsim::run_metric_fields())
      out["metrics"][field.name] = poisonsim::quantity_kind_name(field.kind);
    std::cout << out.dump() << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
