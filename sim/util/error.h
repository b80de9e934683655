#pragma once
// Errors a user can cause and fix: a bad file, a bad value, a missing key.
// The CLI prints what() on one line and exits with code 2; nothing else catches them.
#include <stdexcept>
#include <string>

namespace poisonsim {

class UserError : public std::runtime_error {
 public:
  // `where` names the file, key or line; `problem` says what is wrong and what was expected.
  UserError(const std::string& where, const std::string& problem);
  const std::string& where() const { return where_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string where_;
  std::string problem_;
};

}  // namespace poisonsim
