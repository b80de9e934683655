#pragma once
// The users' own code files this process loaded for plug-in stages (`type: python`), with the
// SHA-256 of their bytes: the provenance of everything the process writes lists them
// (provenance.h, key `plugin_files`), beside the resolved scenario's `file` and `sha256` keys of
// each stage.
#include <mutex>
#include <string>
#include <vector>

namespace poisonsim {

struct PluginFile {
  std::string file;      // as the scenario names it
  std::string absolute;  // resolved from the working directory when it was loaded
  std::string sha256;
};

namespace detail {
inline std::mutex& plugin_files_mutex() {
  static std::mutex mutex;
  return mutex;
}
inline std::vector<PluginFile>& plugin_files_list() {
  static std::vector<PluginFile> files;
  return files;
}
}  // namespace detail

// Adds a file (once per absolute path and content).
inline void record_plugin_file(const PluginFile& file) {
  std::lock_guard<std::mutex> lock(detail::plugin_files_mutex());
  for (const auto& known : detail::plugin_files_list())
    if (known.absolute == file.absolute && known.sha256 == file.sha256) return;
  detail::plugin_files_list().push_back(file);
}

inline std::vector<PluginFile> loaded_plugin_files() {
  std::lock_guard<std::mutex> lock(detail::plugin_files_mutex());
  return detail::plugin_files_list();
}

}  // namespace poisonsim
