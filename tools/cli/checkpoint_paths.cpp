#include "tools/cli/checkpoint_paths.h"

#include <filesystem>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/file_checks.h"
#include "tools/cli/program_name.h"

namespace poisonsim::cli {

void check_checkpoint_path(const std::string& checkpoint, bool replace) {
  // A link or other non-file is never replaced: found now, not at the first checkpoint.
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(checkpoint, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw UserError(checkpoint,
                    "is not a regular file (a symbolic link, directory or device): give a new "
                    "path or a checkpoint file");
  if (!replace && std::filesystem::exists(status))
    throw UserError(checkpoint,
                    "the checkpoint file exists (use --force to replace it, or resume from it: " +
                        program_name() + " resume " + checkpoint + ")");
}

void check_distinct_outputs(const std::string& checkpoint,
                            const std::vector<std::pair<std::string, std::string>>& outputs) {
  for (const auto& [option, path] : outputs)
    if (!path.empty() && path != "-" && same_file(checkpoint, path))
      throw UserError(checkpoint, fmt::format("is the same file as {} ({}): each would replace "
                                              "the other; give the checkpoint its own path",
                                              option, path));
}

std::unique_ptr<LockFile> reserve_checkpoint(const std::string& checkpoint) {
  std::unique_ptr<LockFile> lock;
  try {
    lock = std::make_unique<LockFile>(checkpoint + ".lock", "the checkpoint's lock");
  } catch (const UserError& e) {
    // An unwritable directory shows here, at start, rather than at the first checkpoint.
    throw UserError(checkpoint,
                    fmt::format("cannot reserve the checkpoint ({}: {})", e.where(), e.problem()));
  }
  if (!lock->locked())
    throw UserError(checkpoint, fmt::format("another run or resume is using this checkpoint ({} "
                                            "is locked): wait for it to end, or give this run "
                                            "another checkpoint",
                                            lock->path()));
  return lock;
}

}  // namespace poisonsim::cli
