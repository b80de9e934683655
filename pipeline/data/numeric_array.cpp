#include "pipeline/data/numeric_array.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The value of `key` in the header's Python dict literal, as text up to the next top-level
// comma or closing brace: "'<f4'", "False", "(3, 28, 28)".
std::optional<std::string> dict_value(const std::string& header, const std::string& key) {
  const auto at = header.find("'" + key + "'");
  if (at == std::string::npos) return std::nullopt;
  auto colon = header.find(':', at);
  if (colon == std::string::npos) return std::nullopt;
  size_t begin = header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos) return std::nullopt;
  size_t end = begin;
  int depth = 0;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  auto value = header.substr(begin, end - begin);
  value.erase(value.find_last_not_of(' ') + 1);
  return value;
}

std::optional<ElementType> type_of(char kind, int size) {
  const std::pair<std::pair<char, int>, ElementType> table[] = {
      {{'u', 1}, ElementType::u8},  {{'i', 1}, ElementType::i8},  {{'u', 2}, ElementType::u16},
      {{'i', 2}, ElementType::i16}, {{'u', 4}, ElementType::u32}, {{'i', 4}, ElementType::i32},
      {{'u', 8}, ElementType::u64}, {{'i', 8}, ElementType::i64}, {{'f', 4}, ElementType::f32},
      {{'f', 8}, ElementType::f64}};
  for (const auto& [key, type] : table)
    if (key.first == kind && key.second == size) return type;
  return std::nullopt;
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& where) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    throw UserError(where, "not a NumPy array file: bad shape in its header: " + text);
  std::vector<int64_t> shape;
  size_t i = 1;
  while (i + 1 < text.size()) {
    const size_t comma = std::min(text.find(',', i), text.size() - 1);
    std::string item = text.substr(i, comma - i);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(" L") + 1);  // Python 2 wrote longs as 3L
    if (!item.empty()) {
      if (item.size() > 18 || item.find_first_not_of("0123456789") != std::string::npos)
        throw UserError(where, "not a NumPy array file: bad shape in its header: " + text);
      shape.push_back(std::stoll(item));
    }
    i = comma + 1;
  }
  return shape;
}

}  // namespace

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::u8:
      return "uint8";
    case ElementType::i8:
      return "int8";
    case ElementType::u16:
      return "uint16";
    case ElementType::i16:
      return "int16";
    case ElementType::u32:
      return "uint32";
    case ElementType::i32:
      return "int32";
    case ElementType::u64:
      return "uint64";
    case ElementType::i64:
      return "int64";
    case ElementType::f32:
      return "float32";
    case ElementType::f64:
      return "float64";
  }
  return "?";
}

size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::u8:
    case ElementType::i8:
      return 1;
    case ElementType::u16:
    case ElementType::i16:
      return 2;
    case ElementType::u32:
    case ElementType::i32:
    case ElementType::f32:
      return 4;
    default:
      return 8;
  }
}

bool is_integer(ElementType type) { return type != ElementType::f32 && type != ElementType::f64; }

int64_t NumericArray::count() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

double NumericArray::value(size_t i) const {
  const uint8_t* p = bytes.data() + i * element_size(type);
  switch (type) {
    case ElementType::u8:
      return p[0];
    case ElementType::i8:
      return load<int8_t>(p);
    case ElementType::u16:
      return load<uint16_t>(p);
    case ElementType::i16:
      return load<int16_t>(p);
    case ElementType::u32:
      return load<uint32_t>(p);
    case ElementType::i32:
      return load<int32_t>(p);
    case ElementType::u64:
      return static_cast<double>(load<uint64_t>(p));
    case ElementType::i64:
      return static_cast<double>(load<int64_t>(p));
    case ElementType::f32:
      return load<float>(p);
    case ElementType::f64:
      return load<double>(p);
  }
  return 0;
}

std::string NumericArray::shape_text() const {
  return shape.size() == 1 ? fmt::format("({},)", shape[0])
                           : fmt::format("({})", fmt::join(shape, ", "));
}

uint64_t array_bytes(const std::vector<int64_t>& shape, ElementType type, uint64_t max_bytes,
                     const std::string& where) {
  uint64_t bytes = element_size(type);
  for (auto d : shape) {
    if (d < 0) throw UserError(where, "a negative dimension");
    const auto extent = static_cast<uint64_t>(d);
    if (extent != 0 && bytes > max_bytes / extent)
      throw UserError(where, fmt::format("an array of shape ({}) is larger than {} bytes, the "
                                         "most a poison file's array may hold",
                                         fmt::join(shape, ", "), max_bytes));
    bytes *= extent;
  }
  return bytes;
}

NumericArray parse_npy(const std::vector<uint8_t>& file, const std::string& where) {
  static const uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (file.size() < 10 || !std::equal(std::begin(magic), std::end(magic), file.begin()))
    throw UserError(where, "not a NumPy array file (no \\x93NUMPY magic string)");
  const int major = file[6];
  if (major < 1 || major > 3)
    throw UserError(where,
                    fmt::format("NumPy array format version {} is not supported (1-3)", major));
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (file.size() < 8 + length_bytes) throw UserError(where, "truncated NumPy header");
  const uint64_t header_length = major == 1 ? load<uint16_t>(&file[8]) : load<uint32_t>(&file[8]);
  const uint64_t data_start = 8 + length_bytes + header_length;
  if (data_start > file.size()) throw UserError(where, "truncated NumPy header");
  const std::string header(file.begin() + static_cast<std::ptrdiff_t>(8 + length_bytes),
                           file.begin() + static_cast<std::ptrdiff_t>(data_start));

  const auto descr = dict_value(header, "descr");
  const auto fortran = dict_value(header, "fortran_order");
  const auto shape = dict_value(header, "shape");
  if (!descr || !fortran || !shape)
    throw UserError(where,
                    "not a NumPy array file: its header lacks descr, fortran_order or "
                    "shape");
  if (*fortran != "False")
    throw UserError(where,
                    "a Fortran-order array: save it in C order "
                    "(np.save(f, np.ascontiguousarray(a)))");
  const std::string d = *descr;
  std::optional<ElementType> type;
  if (d.size() >= 5 && d.size() <= 7 && (d.front() == '\'' || d.front() == '"') &&
      d.back() == d.front() && std::string("<>|=").find(d[1]) != std::string::npos &&
      d.find_first_not_of("0123456789", 3) == d.size() - 1)
    type = type_of(d[2], std::stoi(d.substr(3, d.size() - 4)));
  if (!type)
    throw UserError(where, fmt::format("element type {} is not supported (expected float32, "
                                       "float64 or an integer type)",
                                       d));
  NumericArray array;
  array.type = *type;
  array.shape = parse_shape(*shape, where);
  const uint64_t bytes = array_bytes(array.shape, array.type, kMaxArrayBytes, where);
  if (file.size() - data_start != bytes)
    throw UserError(
        where, fmt::format("holds {} bytes of data, its header's shape {} and type {} "
                           "need {}: truncated or not a NumPy array file",
                           file.size() - data_start, *shape, element_type_name(array.type), bytes));
  array.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(data_start), file.end());
  const bool big_endian = d[1] == '>';
  if (big_endian && element_size(array.type) > 1) {
    const size_t size = element_size(array.type);
    for (size_t i = 0; i < array.bytes.size(); i += size)
      std::reverse(array.bytes.begin() + static_cast<std::ptrdiff_t>(i),
                   array.bytes.begin() + static_cast<std::ptrdiff_t>(i + size));
  }
  return array;
}

}  // namespace poisonsim
