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

// Each entry says what the type does in one line and which keys of its own it reads (beside
// the keys every entry of its block has): `poisonsim list` prints them, and the docs test holds
// them to docs/scenario.md's tables, which it also holds to what the parsers read.
template <class Parser>
class Registry {
 public:
  struct Entry {
    std::string summary;
    std::vector<std::string> keys;
    Parser parse;
  };
  void add(const std::string& type, std::string summary, std::vector<std::string> keys,
           Parser parse) {
    entries_[type] = Entry{std::move(summary), std::move(keys), std::move(parse)};
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
