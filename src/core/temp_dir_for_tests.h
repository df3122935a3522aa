#pragma once
// A fresh directory under /tmp for one unit test, removed with everything in it when the
// test ends. Tests only; one per test, not shared between threads.

#include <stdlib.h>

#include <filesystem>

namespace rampart::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/rampart-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace rampart::testing
