#pragma once
// Binary archives for checkpoints, on cereal's portable binary format (fixed byte order, so a
// checkpoint moves between machines). Each component writes its state under a section name in
// a fixed order; loading checks every name, so a checkpoint that does not match the scenario
// it is resumed with fails with one clear message instead of misreading bytes.
// Include only from .cpp files that save or load state: cereal is heavy.
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>

#include "sim/kernel/random_stream.h"

namespace poisonsim {

class StateOut {
 public:
  StateOut() : archive_(stream_) {}
  template <class... T>
  void operator()(T&&... values) {
    archive_(std::forward<T>(values)...);
  }
  // Marks the start of one component's state.
  void section(std::string_view name) { archive_(std::string(name)); }
  void put(const RandomStream& stream) { archive_(stream.state()); }
  std::string bytes() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  cereal::PortableBinaryOutputArchive archive_;
};

class StateIn {
 public:
  // `where` names the checkpoint file in errors.
  StateIn(const std::string& bytes, std::string where);
  template <class... T>
  void operator()(T&&... values) {
    try {
      archive_(std::forward<T>(values)...);
    } catch (const cereal::Exception& e) {
      truncated(e.what());
    } catch (const std::bad_alloc&) {  // a corrupt length asked for more than memory
      truncated("a length is out of range");
    } catch (const std::length_error&) {
      truncated("a length is out of range");
    }
  }
  // UserError unless the next section is `name` (the checkpoint is of another scenario).
  void section(std::string_view name);
  void get(RandomStream& stream);
  // UserError unless every byte was read.
  void expect_end();
  const std::string& where() const { return where_; }

 private:
  [[noreturn]] void truncated(const char* detail) const;

  std::istringstream stream_;
  cereal::PortableBinaryInputArchive archive_;
  std::string where_;
};

}  // namespace poisonsim
