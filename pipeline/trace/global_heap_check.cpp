#include "pipeline/trace/global_heap_check.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

// Collection header: "GCOL", version, 3 reserved bytes, 8-byte size (the header included).
// Object header: 2-byte index, 2-byte reference count, 4 reserved, 8-byte size; objects are
// padded to 8 bytes. Index 0 is the free space, which runs to the end of the collection.
constexpr size_t kCollectionHeader = 16;
constexpr size_t kObjectHeader = 16;
constexpr uint64_t kMinCollection = 4096;

uint64_t le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// Walks the objects as HDF5 does; "" when HDF5 can walk them to the end.
std::string walk(const uint8_t* heap, uint64_t size) {
  uint64_t p = kCollectionHeader;
  while (p < size) {
    if (p + kObjectHeader > size) return "";  // a tail too small for a header is free space
    const uint64_t index = le(heap + p, 2);
    const uint64_t object = le(heap + p + 8, 8);
    if (index == 0) {
      if (object < kObjectHeader || object > size - p)
        return fmt::format("its free space at byte {} claims {} bytes, {} remain", p, object,
                           size - p);
      p += object;
    } else {
      const uint64_t padded = (object + 7) / 8 * 8;
      if (object > size || padded > size - p - kObjectHeader)
        return fmt::format("object {} at byte {} claims {} bytes, past the collection's end", index,
                           p, object);
      p += kObjectHeader + padded;
    }
  }
  return "";
}

}  // namespace

void check_global_heaps(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path, "cannot open for reading");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  // Blocks of 1 MiB; a collection that starts in a block is read whole from the file.
  constexpr size_t kBlock = 1 << 20;
  std::vector<uint8_t> block(kBlock + kCollectionHeader);
  for (uint64_t offset = 0; offset < file_size; offset += kBlock) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<size_t>(in.gcount());
    in.clear();
    for (size_t i = 0; i + kCollectionHeader <= got && i < kBlock; ++i) {
      const uint8_t* h = block.data() + i;
      if (h[0] != 'G' || std::memcmp(h, "GCOL", 4) != 0 || h[4] != 1) continue;
      const uint64_t start = offset + i;
      const uint64_t size = le(h + 8, 8);
      if (size < kMinCollection || size > file_size - start) continue;  // not a collection
      std::vector<uint8_t> heap(size);
      in.seekg(static_cast<std::streamoff>(start));
      in.read(reinterpret_cast<char*>(heap.data()), static_cast<std::streamsize>(size));
      in.clear();
      const std::string problem = walk(heap.data(), size);
      if (!problem.empty())
        throw UserError(path, fmt::format("corrupt HDF5 file: the global heap at byte {} is "
                                          "inconsistent ({})",
                                          start, problem));
    }
  }
}

}  // namespace poisonsim
