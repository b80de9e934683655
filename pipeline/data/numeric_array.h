#pragma once
// An n-dimensional array as a file stores it (NumPy .npy/.npz, an HDF5 dataset), before it is
// checked and converted: poison files made elsewhere come in several element types, and what a
// value means (uint8 pixels are 0-255) depends on its type.
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

enum class ElementType { u8, i8, u16, i16, u32, i32, u64, i64, f32, f64 };

// "uint8", "float32", ...: NumPy's names, which the messages and docs use.
const char* element_type_name(ElementType type);
size_t element_size(ElementType type);
bool is_integer(ElementType type);

struct NumericArray {
  ElementType type = ElementType::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // C order, this machine's byte order

  int64_t count() const;  // elements: the product of shape
  // Element i as a double (exact for every type but 64-bit integers beyond 2^53).
  double value(size_t i) const;
  std::string shape_text() const;  // "(3, 1, 28, 28)"
};

// Bytes of an array of `shape` and `type`; throws UserError(where, ...) when that overflows or
// exceeds `max_bytes`, so a file's claim is checked before anything is allocated for it.
uint64_t array_bytes(const std::vector<int64_t>& shape, ElementType type, uint64_t max_bytes,
                     const std::string& where);

// The most an array read from a poison file may hold, as for data files (file_bytes.h).
constexpr uint64_t kMaxArrayBytes = uint64_t{4} << 30;

// Parses a NumPy .npy file's bytes (format versions 1-3; little- or big-endian; C order).
// Throws UserError(where, ...) for anything else: a bad magic string or header, a Fortran-order
// array, an element type other than the ones above, a size that disagrees with the data.
NumericArray parse_npy(const std::vector<uint8_t>& file, const std::string& where);

}  // namespace poisonsim
