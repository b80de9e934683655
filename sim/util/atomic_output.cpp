#include "sim/util/atomic_output.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/file_locks.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

// What a non-regular file is, for messages.
std::string kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a regular file";
}

std::string errno_text(int error) { return std::strerror(error); }

// Writes all of `bytes` to `fd`, every call checked (a full disk, a file-size limit: SIGXFSZ is
// ignored, so that is EFBIG, not a silent death).
void write_all(int fd, const std::string& bytes, const std::string& path, const std::string& to) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw UserError(path,
                      fmt::format("cannot write {}: {}", to, errno_text(n < 0 ? errno : EIO)));
    done += static_cast<size_t>(n);
  }
}

// The mode a plain open(..., 0644) would give, for files mkostemp creates as 0600.
mode_t default_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0644 & ~mask;
}

}  // namespace

std::string partial_path(const std::string& path) { return path + ".partial"; }

bool AtomicOutput::check_path(const std::string& path, Existing existing, Streams streams) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    // Nothing there (ENOTDIR: a parent is a file, which creating the directory reports).
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw UserError(path, fmt::format("cannot check the output path: {}", errno_text(errno)));
  }
  if (S_ISLNK(st.st_mode))
    throw UserError(path,
                    "is a symbolic link: poisonsim neither writes through a link nor "
                    "replaces one; give the path of a regular file (or remove the link)");
  if (S_ISDIR(st.st_mode)) throw UserError(path, "is a directory, expected a file path");
  if ((S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) && streams == Streams::write_straight)
    return true;  // written as it is at the end, never replaced
  if (!S_ISREG(st.st_mode))
    throw UserError(path, fmt::format("is {}, expected a regular file or a new path: this output "
                                      "is written whole and renamed into place, which would "
                                      "replace it",
                                      kind_of(st.st_mode)));
  if (existing == Existing::refuse)
    throw UserError(path, "exists already: choose another output, or pass --force to replace it");
  return false;
}

AtomicOutput::AtomicOutput(std::string path, Existing existing, Temporary temporary,
                           Streams streams)
    : path_(std::move(path)), existing_(existing) {
  // Whatever the verb, a file-size limit is a write error with a message, not a silent death.
  ::signal(SIGXFSZ, SIG_IGN);
  straight_ = check_path(path_, existing_, streams);
  if (straight_) return;
  const auto parent = fs::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec)
      throw UserError(
          path_, fmt::format("cannot create the directory {}: {}", parent.string(), ec.message()));
  }
  create_temporary(temporary);
}

void AtomicOutput::create_temporary(Temporary temporary) {
  if (temporary == Temporary::reserved) {
    temporary_ = partial_path(path_);
    fd_ = ::open(temporary_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST)
      throw UserError(path_, fmt::format("cannot create the temporary file {}: {}", temporary_,
                                         errno_text(errno)));
    if (fd_ < 0) {
      // Something is at PATH.partial already: look, never follow, truncate or remove it.
      struct stat st {};
      if (::lstat(temporary_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw UserError(path_, fmt::format("its temporary name {} is taken by {}: poisonsim does "
                                           "not write through it or remove it; remove it, or "
                                           "choose another output",
                                           temporary_, kind_of(st.st_mode)));
      if (locked_by_a_writer(temporary_))
        throw UserError(path_, fmt::format("another process is writing it (its temporary file "
                                           "{} is locked): wait for it to finish, or choose "
                                           "another output",
                                           temporary_));
    }
  }
  if (fd_ < 0) {
    // Unique, or a killed writer's PATH.partial, which stays for whoever reads it.
    const std::string stale = temporary_;
    std::vector<char> name(path_.begin(), path_.end());
    for (char c : std::string(".partial.XXXXXX")) name.push_back(c);
    name.push_back('\0');
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);  // O_CREAT|O_EXCL: never follows a link
    if (fd_ < 0)
      throw UserError(path_, fmt::format("cannot create a temporary file {}: {}", name.data(),
                                         errno_text(errno)));
    temporary_ = name.data();
    ::fchmod(fd_, default_file_mode());
    if (!stale.empty())
      fmt::print(stderr,
                 "note: {} is left from a run that did not finish; it is kept (read it, or "
                 "delete it), and this run writes {} instead\n",
                 stale, temporary_);
  }
  if (!try_write_lock(fd_)) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    ::unlink(temporary_.c_str());  // created above, with O_EXCL: ours
    throw UserError(
        path_, fmt::format("cannot lock the temporary file {}: {}", temporary_, errno_text(error)));
  }
}

bool AtomicOutput::temporary_is_ours() const { return still_named(fd_, temporary_); }

AtomicOutput::~AtomicOutput() {
  if (!committed_ && !keep_ && temporary_is_ours()) ::unlink(temporary_.c_str());
  if (fd_ >= 0) ::close(fd_);
}

void AtomicOutput::commit() {
  if (committed_) return;
  if (straight_) throw std::logic_error(path_ + ": commit() of an output written straight");
  if (!temporary_is_ours())
    throw UserError(path_, fmt::format("its temporary file {} was removed or replaced while this "
                                       "run wrote it; nothing was moved into place",
                                       temporary_));
  if (::fsync(fd_) != 0)  // a delayed write error (NFS, a full disk) shows here, not after
    throw UserError(path_, fmt::format("cannot write {}: {}", temporary_, errno_text(errno)));
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    keep_ = true;
    throw UserError(path_, fmt::format("became {} while this run wrote it, which is not "
                                       "replaced; the result is kept in {}",
                                       kind_of(st.st_mode), temporary_));
  }
  int result = 0;
  if (existing_ == Existing::refuse) {
    result = ::renameat2(AT_FDCWD, temporary_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
    if (result != 0 && errno == EINVAL) {
      // A filesystem without RENAME_NOREPLACE: check, then rename (a narrow window remains).
      std::error_code ec;
      if (fs::exists(fs::symlink_status(path_, ec)))
        errno = EEXIST;
      else
        result = ::rename(temporary_.c_str(), path_.c_str());
    }
  } else {
    result = ::rename(temporary_.c_str(), path_.c_str());
  }
  if (result != 0) {
    if (errno == EEXIST) {
      keep_ = true;  // keep the result where it is rather than lose it
      throw UserError(path_, fmt::format("appeared while this run was writing it; the result is "
                                         "kept in {}",
                                         temporary_));
    }
    throw UserError(path_,
                    fmt::format("cannot move {} into place: {}", temporary_, errno_text(errno)));
  }
  committed_ = true;
}

void AtomicOutput::write(const std::string& bytes) {
  if (straight_) throw std::logic_error(path_ + ": write() to an output written straight");
  write_all(fd_, bytes, path_, temporary_);
}

void AtomicOutput::commit_text(const std::string& bytes) {
  if (!straight_) {
    write(bytes);
    commit();
    return;
  }
  // A FIFO or device: opened as it is (no O_CREAT, no O_TRUNC, no link followed), written.
  const int fd = ::open(path_.c_str(), O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    throw UserError(path_, fmt::format("cannot open it for writing: {}", errno_text(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
    ::close(fd);
    throw UserError(path_, "was replaced while this run worked; expected a FIFO or device");
  }
  try {
    write_all(fd, bytes, path_, path_);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0 && errno != EINTR)
    throw UserError(path_, fmt::format("cannot write it: {}", errno_text(errno)));
  committed_ = true;
}

std::string written_or_in_progress(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  // A live writer's temporary first (PATH.partial, or PATH.partial.XXXXXX beside a stale one).
  std::string live, stale;
  const std::string partial = partial_path(path);
  if (fs::exists(fs::symlink_status(partial, ec))) {
    (locked_by_a_writer(partial) ? live : stale) = partial;
  }
  const auto dir =
      fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  const std::string prefix = fs::path(partial).filename().string() + ".";
  for (fs::directory_iterator it(dir, ec), end; live.empty() && !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0 && locked_by_a_writer(it->path().string()))
      live = (fs::path(path).parent_path() / name).string();
  }
  const std::string found = live.empty() ? stale : live;
  if (found.empty()) return path;
  fmt::print(stderr, "note: {} is {}; reading {}\n", path,
             live.empty() ? "not there (its run was killed)" : "still being written", found);
  return found;
}

}  // namespace poisonsim
