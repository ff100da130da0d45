//===- StepKernelTest.cpp - the step kernels' LLVM IR attributes ----------===//

#include "StepKernel.h"

#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include "gtest/gtest.h"

using namespace optim;

namespace {
// The kernels' buffers are marked noalias on their data (aligned) pointers
// only: a descriptor's allocated pointer, its sizes and the other scalars
// keep their attributes, and functions that are not step kernels (a user's
// module) are left alone.
TEST(StepKernel, MarksTheBuffersDataPointersNoAlias) {
  llvm::LLVMContext context;
  llvm::Module module("kernels", context);
  llvm::Type *ptr = llvm::PointerType::get(context, 0);
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  // Two memref<?xf32> descriptors, then an f32.
  llvm::Type *params[] = {ptr,
                          ptr,
                          i64,
                          i64,
                          i64,
                          ptr,
                          ptr,
                          i64,
                          i64,
                          i64,
                          llvm::Type::getFloatTy(context)};
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), params,
                                       /*isVarArg=*/false);
  llvm::Function *functions[] = {
      llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                             detail::kKernelName, module),
      llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                             detail::kQuantizedKernelName, module),
      llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                             "user_function", module)};
  detail::markKernelBuffersNoAlias(module);
  for (auto [k, function] : llvm::enumerate(functions))
    for (unsigned i = 0; i < function->arg_size(); ++i)
      EXPECT_EQ(function->hasParamAttribute(i, llvm::Attribute::NoAlias),
                k < 2 && (i == 1 || i == 6))
          << function->getName().str() << " argument " << i;
}
} // namespace
