#pragma once
// One check before any input file is opened: a missing path, a directory, or a FIFO, device or
// socket (reading one can block forever, e.g. `poisonsim validate <(...)` left unread) ends in a
// UserError naming the file and what was expected, never in a hang.
#include <string>

namespace poisonsim {

// Throws UserError(path, ...) unless `path` names a regular file (links followed). `expected`
// says what it should be, e.g. "a YAML scenario file".
void require_regular_file(const std::string& path, const std::string& expected);

// Whether `a` and `b` name the same file: the same existing file (links followed), or, while
// either is missing, the same path once made absolute with the links of its existing directories
// resolved (`out.h5`, `./out.h5` and `dirlink/../out.h5` are one file).
bool same_file(const std::string& a, const std::string& b);

}  // namespace poisonsim
