//===- CompileTimes.h - what a step costs before it runs --------*- C++ -*-===//
//
// Three ways a process gets a compiled step, measured separately:
//   cold    a new process with an empty kernel cache compiles the step;
//   disk    a new process finds it in the kernel cache and loads it;
//   hit     a Compiler that already holds it returns it from memory.
// Cold and disk times are taken in child processes (this tool re-run with
// --compile-child), so that neither profits from the other's warm-up.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_TOOLS_OPTIM_BENCH_COMPILETIMES_H
#define OPTIM_TOOLS_OPTIM_BENCH_COMPILETIMES_H

#include "optim/Runtime/Compiler.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace optim::bench {

/// One child's measurement, or the medians of several.
struct ChildTimes {
  double createMs = 0;  ///< Compiler::create
  double getStepMs = 0; ///< the first getStep (compile or disk load)
  CompileBreakdown breakdown;
};

struct CompileTimes {
  ChildTimes cold, disk;
  double hitUs = 0;
  int runs = 0;
};

/// The child's side: creates a Compiler over the kernel cache in
/// `directory`, gets the AdamW f32 step, and prints its times on one line.
int runCompileChild(llvm::StringRef directory);

/// Medians over `runs` rounds, each in a fresh cache directory: a child
/// that compiles, then a child that loads from the disk cache; and the
/// median of in-memory hits in this process.
llvm::Expected<CompileTimes> measureCompileTimes(int runs);

} // namespace optim::bench

#endif // OPTIM_TOOLS_OPTIM_BENCH_COMPILETIMES_H
