//===- JitModuleTest.cpp - JIT-compiling a user's optim IR ----------------===//

#include "optim/Runtime/Compiler.h"

#include "gtest/gtest.h"

#include <cstring>
#include <memory>
#include <vector>

using namespace optim;

namespace {
struct Memref1D {
  float *allocated;
  float *aligned;
  int64_t offset, size, stride;
};

Memref1D wrap(std::vector<float> &v) {
  return {v.data(), v.data(), 0, static_cast<int64_t>(v.size()), 1};
}

constexpr const char *kUserModule = R"mlir(
func.func @train_step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>,
                      %v: memref<?xf32>, %lr: f32) {
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %t = arith.constant 1 : i64
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}
)mlir";
} // namespace

class JitModuleTest : public ::testing::TestWithParam<bool> {};

TEST_P(JitModuleTest, RunsAUsersOptimFunction) {
  auto compiler = llvm::cantFail(Compiler::create());
  auto module = compiler->compileModule(kUserModule, /*openmp=*/GetParam());
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  auto fn = (*module)->lookup("train_step");
  ASSERT_TRUE(bool(fn)) << llvm::toString(fn.takeError());
  // One step from m = v = 0 with g = 0.5: p = p (1 - lr wd) - lr.
  std::vector<float> p(1001, 1.0f), g(1001, 0.5f), m(1001, 0.0f), v(1001, 0.0f);
  Memref1D dp = wrap(p), dg = wrap(g), dm = wrap(m), dv = wrap(v);
  using Fn = void (*)(Memref1D *, Memref1D *, Memref1D *, Memref1D *, float);
  reinterpret_cast<Fn> (*fn)(&dp, &dg, &dm, &dv, 0.1f);
  for (float x : p)
    ASSERT_NEAR(x, 0.99f - 0.1f, 1e-6);
  for (float x : m)
    ASSERT_NEAR(x, 0.05f, 1e-7);
}

INSTANTIATE_TEST_SUITE_P(SerialAndOpenMP, JitModuleTest, ::testing::Bool());

TEST(JitModule, ParseErrorsComeBackAsErrors) {
  auto compiler = llvm::cantFail(Compiler::create());
  auto module = compiler->compileModule("func.func @f( {");
  ASSERT_FALSE(bool(module));
  EXPECT_NE(llvm::toString(module.takeError()).find("could not parse"),
            std::string::npos);
}

// MLIR's lexer reads up to a terminating NUL (the fuzzer found it reading
// past an unterminated buffer, test/Fuzz/reproducers); compileModule parses
// a terminated copy, so sources that end exactly at their allocation are
// read in bounds (which the ASan build checks).
TEST(JitModule, SourceWithoutTerminatorIsReadInBounds) {
  auto compiler = llvm::cantFail(Compiler::create());
  for (llvm::StringRef text : {llvm::StringRef("func.func @f() { return }"),
                               llvm::StringRef("// a comment"),
                               llvm::StringRef("\"unterminated"),
                               // The fuzzer's reproducer (17 bytes).
                               llvm::StringRef("indexKKKKKariKKKK")}) {
    std::unique_ptr<char[]> exact(new char[text.size()]);
    std::memcpy(exact.get(), text.data(), text.size());
    auto module =
        compiler->compileModule(llvm::StringRef(exact.get(), text.size()));
    if (!module)
      llvm::consumeError(module.takeError());
  }
  auto module = compiler->compileModule("func.func @f() { return }");
  EXPECT_TRUE(bool(module)) << llvm::toString(module.takeError());
}

TEST(JitModule, VerifierErrorsComeBackAsErrors) {
  auto compiler = llvm::cantFail(Compiler::create());
  auto module = compiler->compileModule(R"mlir(
func.func @f(%p: memref<4xf32>, %g: memref<4xf32>, %m: memref<4xf32>, %v: memref<4xf32>, %lr: f32, %t: i64) {
  %neg = arith.constant -1.0 : f32
  optim.adam (%p, %g, %m, %v) : memref<4xf32> lr(%neg) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}
)mlir");
  ASSERT_FALSE(bool(module));
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("'lr' must be non-negative, got -1"),
            std::string::npos)
      << message;
}

TEST(JitModule, UnknownFunctionIsAnError) {
  auto compiler = llvm::cantFail(Compiler::create());
  auto module = llvm::cantFail(compiler->compileModule(kUserModule));
  auto fn = module->lookup("no_such_function");
  ASSERT_FALSE(bool(fn));
  llvm::consumeError(fn.takeError());
}

// Attributes of the wrong type in an optim op's attribute dictionary used to
// crash the printer and the lowering (a failed cast) or be silently dropped:
// each must be an error from compileModule that names the attribute.
struct WrongAttribute {
  const char *dictionary;
  const char *name;
};

void PrintTo(const WrongAttribute &attr, std::ostream *os) {
  *os << attr.dictionary;
}

class JitModuleWrongAttribute
    : public ::testing::TestWithParam<WrongAttribute> {};

TEST_P(JitModuleWrongAttribute, IsAnError) {
  std::string source = R"mlir(
func.func @f(%p: memref<4xf32>, %g: memref<4xf32>, %m: memref<4xf32>,
             %v: memref<4xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<4xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64) )mlir";
  source += GetParam().dictionary;
  source += "\n  return\n}\n";
  auto compiler = llvm::cantFail(Compiler::create());
  auto module = compiler->compileModule(source);
  ASSERT_FALSE(bool(module)) << "accepted: " << GetParam().dictionary;
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("could not parse the module"), std::string::npos)
      << message;
  EXPECT_NE(message.find("\"user-module\":5:"), std::string::npos) << message;
  EXPECT_NE(message.find("'" + std::string(GetParam().name) + "'"),
            std::string::npos)
      << message;
}

INSTANTIATE_TEST_SUITE_P(
    Attributes, JitModuleWrongAttribute,
    ::testing::Values(
        WrongAttribute{"{bias_correction = \"folded\"}", "bias_correction"},
        WrongAttribute{"{bias_correction = 3 : i32}", "bias_correction"},
        WrongAttribute{"{amsgrad = 1 : i32}", "amsgrad"},
        WrongAttribute{"{maximize = \"yes\"}", "maximize"}),
    [](const ::testing::TestParamInfo<WrongAttribute> &info) {
      return std::string(info.param.name) + "_" + std::to_string(info.index);
    });
