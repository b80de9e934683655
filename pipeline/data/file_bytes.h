#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

// Reads a whole file, transparently decompressing gzip. Throws UserError naming the file when it
// cannot be opened, is a directory, is corrupt, or is larger than `max_bytes` once decompressed.
std::vector<uint8_t> read_file_bytes(const std::string& path,
                                     uint64_t max_bytes = uint64_t{4} << 30);

// The first of `candidates` (joined to `directory`) that exists, or "" when none does.
std::string find_first_existing(const std::string& directory,
                                const std::vector<std::string>& candidates);

}  // namespace poisonsim
