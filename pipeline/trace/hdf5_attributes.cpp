#include "pipeline/trace/hdf5_attributes.h"

#include <cstring>
#include <vector>

#include "sim/util/error.h"

namespace poisonsim::hdf5 {
namespace {

std::string attribute_context(const char* verb, const char* name) {
  return std::string(verb) + " attribute '" + name + "'";
}

// Opens `name` if it exists (overwriting keeps the type it was created with), else creates it.
Hid open_or_create(hid_t object, const char* name, hid_t file_type, const std::string& where) {
  const std::string context = attribute_context("cannot write", name);
  if (check(H5Aexists(object, name), where, context) > 0) {
    return owned(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, where, context);
  }
  Hid space = owned(H5Screate(H5S_SCALAR), H5Sclose, where, context);
  return owned(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
               where, context);
}

Hid variable_utf8_string() {
  Hid type(must(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  must(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
  must(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return type;
}

// Opens an existing attribute and checks its type class.
Hid open_attribute(hid_t object, const char* name, H5T_class_t expected, const char* expected_text,
                   const std::string& where) {
  const std::string context = attribute_context("cannot read", name);
  if (!has_attribute(object, name, where)) {
    throw UserError(where, std::string("no attribute '") + name +
                               "' (not a poisonsim trace? see docs/trace-format.md)");
  }
  Hid attribute = owned(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, where, context);
  Hid type = owned(H5Aget_type(attribute.get()), H5Tclose, where, context);
  Hid space = owned(H5Aget_space(attribute.get()), H5Sclose, where, context);
  if (H5Tget_class(type.get()) != expected ||
      check(H5Sget_simple_extent_npoints(space.get()), where, context) != 1) {
    throw UserError(where, std::string("attribute '") + name + "' is not " + expected_text);
  }
  return attribute;
}

}  // namespace

void write_string_attribute(hid_t object, const char* name, const std::string& value,
                            const std::string& where) {
  Hid type = variable_utf8_string();
  Hid attribute = open_or_create(object, name, type.get(), where);
  const char* text = value.c_str();
  check(H5Awrite(attribute.get(), type.get(), &text), where,
        attribute_context("cannot write", name));
}

void write_integer_attribute(hid_t object, const char* name, uint64_t value, hid_t file_type,
                             const std::string& where) {
  Hid attribute = open_or_create(object, name, file_type, where);
  check(H5Awrite(attribute.get(), H5T_NATIVE_UINT64, &value), where,
        attribute_context("cannot write", name));
}

bool has_attribute(hid_t object, const char* name, const std::string& where) {
  return check(H5Aexists(object, name), where, attribute_context("cannot read", name)) > 0;
}

std::string read_string_attribute(hid_t object, const char* name, const std::string& where) {
  const std::string context = attribute_context("cannot read", name);
  Hid attribute = open_attribute(object, name, H5T_STRING, "a string", where);
  Hid stored = owned(H5Aget_type(attribute.get()), H5Tclose, where, context);
  // Read with the stored type itself: HDF5 does not convert between ASCII and UTF-8 strings.
  if (check(H5Tis_variable_str(stored.get()), where, context) > 0) {
    char* text = nullptr;
    check(H5Aread(attribute.get(), stored.get(), &text), where, context);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  // Fixed-length (e.g. written by other tools): NUL-padded or NUL-terminated bytes.
  std::vector<char> bytes(H5Tget_size(stored.get()));
  check(H5Aread(attribute.get(), stored.get(), bytes.data()), where, context);
  return std::string(bytes.data(), strnlen(bytes.data(), bytes.size()));
}

uint64_t read_uint64_attribute(hid_t object, const char* name, const std::string& where) {
  Hid attribute = open_attribute(object, name, H5T_INTEGER, "an integer", where);
  uint64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value), where,
        attribute_context("cannot read", name));
  return value;
}

int64_t read_int64_attribute(hid_t object, const char* name, const std::string& where) {
  Hid attribute = open_attribute(object, name, H5T_INTEGER, "an integer", where);
  int64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), where,
        attribute_context("cannot read", name));
  return value;
}

}  // namespace poisonsim::hdf5
