#pragma once
// A structural check of an HDF5 file's global heap collections (where variable-length strings,
// such as a trace's scenario attribute, live), made on the bytes before HDF5 reads them.
// HDF5 1.10.8 (Debian 12) loops forever on a collection whose free-space object is smaller than
// an object header (H5HG__cache_heap_deserialize advances by that size, 0), and reads past a
// collection whose object overruns it; this turns both into an error.
#include <string>

namespace poisonsim {

// Throws UserError(path, ...) naming the byte offset of the first inconsistent collection.
// Reads the whole file once; a collection is recognised by its signature "GCOL", version 1 and
// a size of 4096 bytes or more that fits in the file.
void check_global_heaps(const std::string& path);

}  // namespace poisonsim
