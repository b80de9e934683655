#include "pipeline/trace/trace_schema.h"

#include <stdexcept>

#include "pipeline/trace/trace_rows.h"

namespace poisonsim::trace_schema {
namespace {

using hdf5::Hid;
using hdf5::must;

// One column per member: name, HOFFSET, type and size come from the struct itself.
#define POISONSIM_COLUMN(Row, member, type) \
  Column { #member, HOFFSET(Row, member), ColumnType::type, sizeof(Row::member) }

Hid string_type(size_t size) {
  Hid type(must(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  must(H5Tset_size(type.get(), size), "H5Tset_size");
  must(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  return type;
}

// Returns a type to insert and, for strings, keeps it alive in `holder` until inserted.
hid_t member_type(const Column& column, bool in_file, Hid& holder) {
  switch (column.type) {
    case ColumnType::f64:
      return in_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    case ColumnType::f32:
      return in_file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT;
    case ColumnType::i64:
      return in_file ? H5T_STD_I64LE : H5T_NATIVE_INT64;
    case ColumnType::u8:
      return in_file ? H5T_STD_U8LE : H5T_NATIVE_UINT8;
    case ColumnType::name:
      holder = string_type(column.size);
      return holder.get();
  }
  throw std::logic_error("unknown column type");
}

Hid compound_type(const Table& table, bool in_file) {
  size_t packed_size = 0;
  for (const auto& column : table.columns) packed_size += column.size;
  Hid type(must(H5Tcreate(H5T_COMPOUND, in_file ? packed_size : table.row_size), "H5Tcreate"),
           H5Tclose);
  size_t packed_offset = 0;
  for (const auto& column : table.columns) {
    Hid holder;
    const hid_t member = member_type(column, in_file, holder);
    const size_t offset = in_file ? packed_offset : column.offset;
    must(H5Tinsert(type.get(), column.name, offset, member), "H5Tinsert");
    packed_offset += column.size;
  }
  return type;
}

}  // namespace

const Table& events() {
  static const Table table{
      "events",
      sizeof(EventRow),
      {POISONSIM_COLUMN(EventRow, time, f64), POISONSIM_COLUMN(EventRow, kind, name),
       POISONSIM_COLUMN(EventRow, source, name), POISONSIM_COLUMN(EventRow, batch_id, i64),
       POISONSIM_COLUMN(EventRow, size, i64), POISONSIM_COLUMN(EventRow, accepted, i64),
       POISONSIM_COLUMN(EventRow, rejected, i64)},
      false};
  return table;
}

const Table& samples() {
  static const Table table{
      "samples",
      sizeof(SampleRow),
      {POISONSIM_COLUMN(SampleRow, time, f64), POISONSIM_COLUMN(SampleRow, batch_id, i64),
       POISONSIM_COLUMN(SampleRow, source, name), POISONSIM_COLUMN(SampleRow, is_poison, u8),
       POISONSIM_COLUMN(SampleRow, label, i64), POISONSIM_COLUMN(SampleRow, true_label, i64),
       POISONSIM_COLUMN(SampleRow, loss, f32), POISONSIM_COLUMN(SampleRow, prediction, i64),
       POISONSIM_COLUMN(SampleRow, rejected, u8), POISONSIM_COLUMN(SampleRow, model_version, i64)},
      true};
  return table;
}

const Table& retrains() {
  static const Table table{
      "retrains",
      sizeof(RetrainRow),
      {POISONSIM_COLUMN(RetrainRow, time, f64), POISONSIM_COLUMN(RetrainRow, index, i64),
       POISONSIM_COLUMN(RetrainRow, buffer_size, i64),
       POISONSIM_COLUMN(RetrainRow, poison_in_buffer, i64),
       POISONSIM_COLUMN(RetrainRow, poison_fraction, f64),
       POISONSIM_COLUMN(RetrainRow, validation_loss_before, f64),
       POISONSIM_COLUMN(RetrainRow, validation_loss_after, f64),
       POISONSIM_COLUMN(RetrainRow, validation_accuracy_before, f64),
       POISONSIM_COLUMN(RetrainRow, validation_accuracy_after, f64),
       POISONSIM_COLUMN(RetrainRow, gate, name), POISONSIM_COLUMN(RetrainRow, deployed, u8),
       POISONSIM_COLUMN(RetrainRow, model_version, i64)},
      false};
  return table;
}

const Table& evaluations() {
  static const Table table{
      "evaluations",
      sizeof(EvaluationRow),
      {POISONSIM_COLUMN(EvaluationRow, time, f64),
       POISONSIM_COLUMN(EvaluationRow, model_version, i64),
       POISONSIM_COLUMN(EvaluationRow, accuracy, f64), POISONSIM_COLUMN(EvaluationRow, loss, f64),
       POISONSIM_COLUMN(EvaluationRow, samples, i64)},
      false};
  return table;
}

#undef POISONSIM_COLUMN

const std::vector<const Table*>& all_tables() {
  static const std::vector<const Table*> tables{&events(), &samples(), &retrains(), &evaluations()};
  return tables;
}

const Table* find_table(const std::string& name) {
  for (const Table* table : all_tables()) {
    if (name == table->name) return table;
  }
  return nullptr;
}

Hid memory_type(const Table& table) { return compound_type(table, false); }

Hid file_type(const Table& table) { return compound_type(table, true); }

H5T_class_t column_class(ColumnType type) {
  switch (type) {
    case ColumnType::f64:
    case ColumnType::f32:
      return H5T_FLOAT;
    case ColumnType::i64:
    case ColumnType::u8:
      return H5T_INTEGER;
    case ColumnType::name:
      return H5T_STRING;
  }
  return H5T_NO_CLASS;
}

}  // namespace poisonsim::trace_schema
