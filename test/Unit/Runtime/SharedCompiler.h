//===- SharedCompiler.h - one Compiler per test binary -----------*- C++
//-*-===//
//
// Compiling is the slow part of these tests, so a binary shares one
// Compiler; a gtest environment destroys it after the last test, before
// exit(), so that its JIT engines are torn down (and checked by
// LeakSanitizer) like a user's would be.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_TEST_UNIT_RUNTIME_SHAREDCOMPILER_H
#define OPTIM_TEST_UNIT_RUNTIME_SHAREDCOMPILER_H

#include "optim/Runtime/Compiler.h"

#include "gtest/gtest.h"

#include <mutex>

namespace optim::test {

inline std::unique_ptr<Compiler> &sharedCompilerSlot() {
  static std::unique_ptr<Compiler> compiler;
  return compiler;
}

class SharedCompilerEnvironment : public ::testing::Environment {
public:
  void TearDown() override { sharedCompilerSlot().reset(); }
};

/// Thread-safe: tests call it from several threads at once.
inline Compiler &getSharedCompiler() {
  static std::once_flag once;
  std::call_once(once, [] {
    sharedCompilerSlot() = llvm::cantFail(Compiler::create());
    ::testing::AddGlobalTestEnvironment(new SharedCompilerEnvironment);
  });
  return *sharedCompilerSlot();
}

} // namespace optim::test

#endif // OPTIM_TEST_UNIT_RUNTIME_SHAREDCOMPILER_H
