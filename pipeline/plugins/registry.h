#pragma once
// The registries that map a scenario's `type:` name to an implementation of the plug-in
// contract (attacker.h, sample_guard.h, window_sanitizer.h, retrain_gate.h). Each folder of
// implementations adds its types in its register_*() function, so adding one touches one folder.
#include <map>
#include <string>
#include <vector>

#include "pipeline/plugins/attacker.h"
#include "pipeline/plugins/retrain_gate.h"
#include "pipeline/plugins/sample_guard.h"
#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim {

template <class Parser>
class Registry {
 public:
  struct Entry {
    std::string summary;
    Parser parse;
  };
  void add(const std::string& type, std::string summary, Parser parse) {
    entries_[type] = Entry{std::move(summary), std::move(parse)};
  }
  const Entry* find(const std::string& type) const {
    auto it = entries_.find(type);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [type, entry] : entries_) out.push_back(type);
    return out;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

struct PluginRegistry {
  Registry<AttackerParser> attackers;
  Registry<SampleGuardParser> guards;
  Registry<WindowSanitizerParser> sanitizers;
  Registry<RetrainGateParser> gates;
};

}  // namespace poisonsim
