#pragma once
// SHA-256 (FIPS 180-4) of a byte string, as lowercase hex: what the provenance records of a
// plug-in file that no Python reads (a TorchScript guard's module), the same digest
// `sha256sum` prints. No crypto library for one digest of a small file.
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

std::string sha256_hex(const std::vector<uint8_t>& bytes);

}  // namespace poisonsim
