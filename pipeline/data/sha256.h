#pragma once
// SHA-256 (FIPS 180-4) of a byte string, as lowercase hex (OpenSSL's libcrypto): what the
// provenance records of every plug-in file (Python stages and attackers, TorchScript modules),
// the same digest `sha256sum` prints.
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

std::string sha256_hex(const std::vector<uint8_t>& bytes);

}  // namespace poisonsim
