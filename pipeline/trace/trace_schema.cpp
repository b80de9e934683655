#include "pipeline/trace/trace_schema.h"

#include <stdexcept>

#include "pipeline/trace/trace_rows.h"

namespace poisonsim::trace_schema {
namespace {

using hdf5::Hid;
using hdf5::must;

// One column per member: name, HOFFSET, type and size come from the struct itself; `since` is
// the trace_format that added it.
#define POISONSIM_COLUMN_SINCE(Row, member, type, units, description, since)                \
  Column {                                                                                  \
    #member, HOFFSET(Row, member), ColumnType::type, sizeof(Row::member), units, description, \
        since                                                                               \
  }
#define POISONSIM_COLUMN(Row, member, type, units, description) \
  POISONSIM_COLUMN_SINCE(Row, member, type, units, description, 1)
#define POISONSIM_COLUMN_2(Row, member, type, units, description) \
  POISONSIM_COLUMN_SINCE(Row, member, type, units, description, 2)

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
  using R = EventRow;
  static const Table table{
      "events",
      sizeof(R),
      {POISONSIM_COLUMN(R, time, f64, "s", "when the event happened"),
       POISONSIM_COLUMN(R, kind, name, "",
                        "stream-batch, poison-batch, retrain, evaluation, end or stopped"),
       POISONSIM_COLUMN(R, source, name, "", "stream or attacker name; system for ticks"),
       POISONSIM_COLUMN(R, batch_id, i64, "", "arrival batch id (as in samples); -1 otherwise"),
       POISONSIM_COLUMN(R, size, i64, "samples", "samples in the batch (retrain: trained on)"),
       POISONSIM_COLUMN(R, accepted, i64, "samples", "of the batch, accepted by the guard"),
       POISONSIM_COLUMN(R, rejected, i64, "samples", "of the batch, rejected by the guard")},
      false};
  return table;
}

const Table& samples() {
  using R = SampleRow;
  static const Table table{
      "samples",
      sizeof(R),
      {POISONSIM_COLUMN(R, time, f64, "s", "arrival time"),
       POISONSIM_COLUMN(R, batch_id, i64, "", "the batch it arrived in (events.batch_id)"),
       POISONSIM_COLUMN(R, source, name, "", "stream or attacker name"),
       POISONSIM_COLUMN(R, is_poison, u8, "", "1 if an attacker made it, 0 if clean"),
       POISONSIM_COLUMN(R, label, i64, "", "class it arrived with (poison: the attacker's)"),
       POISONSIM_COLUMN(R, true_label, i64, "", "clean class of the image it was made from"),
       POISONSIM_COLUMN(R, loss, f32, "nats", "cross-entropy of the deployed model on it"),
       POISONSIM_COLUMN(R, prediction, i64, "", "the deployed model's predicted class"),
       POISONSIM_COLUMN(R, rejected, u8, "", "guard verdict: 1 rejected, 0 accepted"),
       POISONSIM_COLUMN_SINCE(R, rejected_by, u8, "",
                              "guard stage that rejected it (1 = first as written); 0 accepted",
                              3),
       POISONSIM_COLUMN(R, model_version, i64, "", "version of the model that scored it")},
      true};
  return table;
}

const Table& retrains() {
  using R = RetrainRow;
  static const Table table{
      "retrains",
      sizeof(R),
      {POISONSIM_COLUMN(R, time, f64, "s", "when the retrain ran"),
       POISONSIM_COLUMN(R, index, i64, "", "0, 1, 2, ... in order"),
       POISONSIM_COLUMN(R, buffer_size, i64, "samples", "samples trained on (buffer and replay)"),
       POISONSIM_COLUMN(R, poison_in_buffer, i64, "samples", "poison samples in the buffer"),
       POISONSIM_COLUMN(R, poison_fraction, f64, "fraction", "poison share of the buffer"),
       POISONSIM_COLUMN(R, validation_loss_before, f64, "nats",
                        "mean validation loss of the deployed model"),
       POISONSIM_COLUMN(R, validation_loss_after, f64, "nats",
                        "mean validation loss of the candidate"),
       POISONSIM_COLUMN(R, validation_accuracy_before, f64, "fraction",
                        "validation accuracy of the deployed model"),
       POISONSIM_COLUMN(R, validation_accuracy_after, f64, "fraction",
                        "validation accuracy of the candidate"),
       POISONSIM_COLUMN_2(R, test_accuracy_before, f64, "fraction",
                          "clean test accuracy of the deployed model"),
       POISONSIM_COLUMN_2(R, test_accuracy_after, f64, "fraction",
                          "clean test accuracy of the candidate"),
       POISONSIM_COLUMN(R, gate, name, "", "gate decision: allow, refuse or empty"),
       POISONSIM_COLUMN(R, deployed, u8, "", "1 if the candidate replaced the deployed model"),
       POISONSIM_COLUMN(R, model_version, i64, "", "version serving after this retrain"),
       POISONSIM_COLUMN_SINCE(R, gate_reason, name, "",
                              "limit a refused candidate broke: validation_loss, "
                              "validation_accuracy or loss_not_finite; empty otherwise",
                              4),
       POISONSIM_COLUMN_SINCE(R, gate_margin, f64, "nats or fraction",
                              "how far past that limit, in its units (loss: nats, accuracy: "
                              "fraction); NaN otherwise",
                              4)},
      false};
  return table;
}

const Table& evaluations() {
  using R = EvaluationRow;
  static const Table table{
      "evaluations",
      sizeof(R),
      {POISONSIM_COLUMN(R, time, f64, "s", "when it ran"),
       POISONSIM_COLUMN(R, model_version, i64, "", "version of the deployed model evaluated"),
       POISONSIM_COLUMN(R, accuracy, f64, "fraction", "its accuracy on the clean test set"),
       POISONSIM_COLUMN(R, loss, f64, "nats", "its mean cross-entropy on the clean test set"),
       POISONSIM_COLUMN(R, samples, i64, "samples", "test samples used")},
      false};
  return table;
}

const Table& defense() {
  using R = DefenseRow;
  static const Table table{
      "defense",
      sizeof(R),
      {POISONSIM_COLUMN(R, time, f64, "s", "the window's retrain (the run's end for window -1)"),
       POISONSIM_COLUMN(R, window, i64, "", "retrains.index of the window's retrain; -1 after "
                                            "the last"),
       POISONSIM_COLUMN(R, stage, u8, "", "the stage as samples.rejected_by numbers it"),
       POISONSIM_COLUMN(R, kind, name, "", "guard (judges arrivals) or sanitize (the window)"),
       POISONSIM_COLUMN(R, type, name, "", "the stage's type"),
       POISONSIM_COLUMN(R, poison_seen, i64, "samples", "poison samples the stage judged"),
       POISONSIM_COLUMN(R, clean_seen, i64, "samples", "clean samples the stage judged"),
       POISONSIM_COLUMN(R, poison_removed, i64, "samples", "of those, removed: true positives"),
       POISONSIM_COLUMN(R, clean_removed, i64, "samples", "of those, removed: false positives")},
      false,
      4};
  return table;
}

const Table& scores() {
  using R = ScoreRow;
  static const Table table{
      "scores",
      sizeof(R),
      {POISONSIM_COLUMN(R, time, f64, "s", "the arrival (guard stage) or the retrain (sanitizer)"),
       POISONSIM_COLUMN(R, sample, i64, "", "the sample's row in the samples table"),
       POISONSIM_COLUMN(R, stage, u8, "", "the stage as samples.rejected_by numbers it"),
       POISONSIM_COLUMN(R, is_poison, u8, "", "1 if the sample is poison (ground truth)"),
       POISONSIM_COLUMN(R, rejected, u8, "", "1 if this stage rejected or removed it"),
       POISONSIM_COLUMN(R, score, f32, "", "the stage's score (higher: more suspect; units in "
                                           "docs/trace-format.md)")},
      true,
      5};
  return table;
}

#undef POISONSIM_COLUMN
#undef POISONSIM_COLUMN_2
#undef POISONSIM_COLUMN_SINCE

const std::vector<const Table*>& all_tables() {
  static const std::vector<const Table*> tables{&events(),      &samples(), &retrains(),
                                                &evaluations(), &defense(), &scores()};
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
