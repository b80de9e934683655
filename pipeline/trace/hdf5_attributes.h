#pragma once
// Scalar attributes of the trace root (or run group): write, overwrite, read back with checks.
#include <cstdint>
#include <string>

#include "pipeline/trace/hdf5_handles.h"

namespace poisonsim::hdf5 {

// A variable-length UTF-8 string: h5py 3 reads it as a Python str.
void write_string_attribute(hid_t object, const char* name, const std::string& value,
                            const std::string& where);
// Stored with the given standard type (e.g. H5T_STD_U8LE); an existing attribute keeps its type.
void write_integer_attribute(hid_t object, const char* name, uint64_t value, hid_t file_type,
                             const std::string& where);

bool has_attribute(hid_t object, const char* name, const std::string& where);
// Read variable- or fixed-length strings; integers of any width. A missing attribute or one of
// another type class is a UserError naming `where` and the attribute.
std::string read_string_attribute(hid_t object, const char* name, const std::string& where);
uint64_t read_uint64_attribute(hid_t object, const char* name, const std::string& where);
int64_t read_int64_attribute(hid_t object, const char* name, const std::string& where);

}  // namespace poisonsim::hdf5
