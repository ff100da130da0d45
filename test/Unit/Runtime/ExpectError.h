//===- ExpectError.h - asserting on llvm::Error messages ---------*- C++ -*-===//

#ifndef OPTIM_TEST_UNIT_RUNTIME_EXPECTERROR_H
#define OPTIM_TEST_UNIT_RUNTIME_EXPECTERROR_H

#include "llvm/Support/Error.h"

#include "gtest/gtest.h"

#include <string>

namespace optim::test {

/// `error` must be an error whose message contains `text`.
inline void expectError(llvm::Error error, llvm::StringRef text) {
  ASSERT_TRUE(bool(error)) << "no error; expected: " << text.str();
  std::string message = llvm::toString(std::move(error));
  EXPECT_NE(message.find(text.str()), std::string::npos) << message;
}

} // namespace optim::test

#endif // OPTIM_TEST_UNIT_RUNTIME_EXPECTERROR_H
