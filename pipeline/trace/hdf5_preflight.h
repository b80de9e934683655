#pragma once
// Reading an untrusted HDF5 file's attributes in a child process before this process does.
// HDF5 1.10.8 follows a corrupt file's variable-length string references into its global heap
// without checking them and crashes (fuzz_trace found a segfault in H5HG_read), and no check on
// the bytes can rule that out without refusing valid files. A crash or hang of the child then
// becomes one error line naming the file; this process never reads it.
#include <string>

namespace poisonsim {

// What the child reads: every attribute (a trace, whose tables may be large and are checked row by
// row), or every dataset whole as well (a checkpoint: two byte arrays, whose chunk index and
// compressed chunks HDF5 parses before poisonsim sees a byte).
enum class Preflight { attributes, datasets_too };

// Opens `path` read-only in a forked child, reads what `what` says of every object, and throws
// UserError(path, ...) when the child dies of a signal or does not finish in `limit_seconds`.
// A file the child cannot open passes: the caller's own open reports why. Nothing happens while
// this process has any HDF5 file open (the child would share its metadata cache).
void preflight_hdf5_file(const std::string& path, Preflight what = Preflight::attributes,
                         int limit_seconds = 120);

// The trace reader's guards (check_global_heaps, then preflight_hdf5_file) on a file another
// program will read with HDF5 (report and export hand traces to Python's h5py). A path that is
// not a regular HDF5 file passes: that program reports it in its own words.
void guard_hdf5_input(const std::string& path);

}  // namespace poisonsim
