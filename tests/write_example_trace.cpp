// Writes tests/example_trace.h's trace: `write_example_trace OUT.h5 [--no-samples]`.
#include <cstdio>
#include <exception>
#include <string>

#include "tests/example_trace.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--no-samples")) {
    std::fprintf(stderr, "usage: %s OUT.h5 [--no-samples]\n", argv[0]);
    return 2;
  }
  try {
    poisonsim::test::write_example_trace(argv[1], argc == 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
