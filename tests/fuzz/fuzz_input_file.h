#pragma once
// The readers under fuzz take paths, as a run does: each input is written to one scratch file
// per process (in TMPDIR, removed at exit) and read back from there.
#include <cstddef>
#include <cstdint>
#include <string>

namespace poisonsim::fuzz {

// Replaces the contents of the scratch file `name` with `size` bytes and returns its path.
std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size);

}  // namespace poisonsim::fuzz
