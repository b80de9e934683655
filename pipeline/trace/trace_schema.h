#pragma once
// The HDF5 layout of the trace tables, built from the row structs in one place so the writer
// and the reader cannot disagree. Layout reference: docs/trace-format.md.
#include <cstddef>
#include <string>
#include <vector>

#include "pipeline/trace/hdf5_handles.h"

namespace poisonsim::trace_schema {

enum class ColumnType { f64, f32, i64, u8, name };

struct Column {
  const char* name;
  size_t offset;  // HOFFSET in the row struct
  ColumnType type;
  size_t size;  // bytes in the row struct (the string length for names)
  // Stored as the table's attributes `<name>.units` and `<name>.description`. Units: "s"
  // (simulated seconds), "samples", "nats" (natural-log cross-entropy), "fraction" (0-1), ""
  // for identifiers, counters of versions, classes and flags.
  const char* units;
  const char* description;
  int since_format;  // the trace_format that added it: older files lack it
};

struct Table {
  const char* name;
  size_t row_size;  // sizeof the row struct
  std::vector<Column> columns;
  bool optional;  // `samples` and `scores`: absent when trace.samples is off
  int since_format = 1;  // the trace_format that added it: older files lack it (read as empty)
};

const Table& events();
const Table& samples();
const Table& retrains();
const Table& evaluations();
const Table& defense();
const Table& scores();
// In file order: events, samples, retrains, evaluations, defense, scores.
const std::vector<const Table*>& all_tables();
// The table called `name`, or nullptr.
const Table* find_table(const std::string& name);

// The row struct as laid out in memory (native types, the struct's offsets and padding).
hdf5::Hid memory_type(const Table& table);
// What is stored: little-endian standard types, packed without padding, so no uninitialised
// padding byte ever reaches the file.
hdf5::Hid file_type(const Table& table);
// The HDF5 type class a column must have in a file for the reader to accept it.
H5T_class_t column_class(ColumnType type);

}  // namespace poisonsim::trace_schema
