//===- GpuTargets.h - run a device-kernel test on every GPU target -*- C++
//-*-===//
//
// Tests of the GPU kernel run twice: on Target::GPUEmulated (the kernel's
// blocks and threads as host loops, everywhere) and on Target::GPU when a
// CUDA device is present (skipped, saying why, when none is). The test body
// keeps its buffers in host memory; runOnTarget mirrors them to the device
// around each call of a GPU step, so both targets check the same bits.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_TEST_UNIT_RUNTIME_GPUTARGETS_H
#define OPTIM_TEST_UNIT_RUNTIME_GPUTARGETS_H

#include "optim/Runtime/Compiler.h"

#include "gtest/gtest.h"

#include <ostream>
#include <string>

namespace optim::test {

/// Whether the environment says a CUDA device must be present
/// (OPTIM_REQUIRE_GPU=1).
bool isGpuRequired();

/// Why steps of `target` cannot run in this process (no CUDA driver or
/// device, or a build without the CUDA headers); empty when they can.
std::string getTargetUnavailableReason(Target target);

/// `step->run(host, s)` with the buffers where the step's target reads them:
/// for Target::GPU, device copies of every buffer of `host` (null stays
/// null, and each copy keeps its buffer's address modulo 256, so alignment
/// branches are taken as on the host), the state copied back afterwards
/// whether or not the step succeeded; otherwise `host` itself.
llvm::Error runOnTarget(const CompiledStep &step,
                        llvm::ArrayRef<ParamBuffers> host,
                        const StepScalars &s);

/// CompiledStep::computeGradNorm and computeGradSquaredNorm, likewise.
llvm::Expected<double>
computeGradNormOnTarget(const CompiledStep &step,
                        llvm::ArrayRef<ParamBuffers> host,
                        const StepScalars &s);
llvm::Expected<double>
computeGradSquaredNormOnTarget(const CompiledStep &step,
                               llvm::ArrayRef<ParamBuffers> host,
                               const StepScalars &s);

/// The fixture of a test that runs on each GPU target: GetParam() is the
/// target, and SetUp skips a target that cannot run here, or fails where
/// OPTIM_REQUIRE_GPU=1 says a device must be there (a device machine's
/// run, which must not pass by skipping everything).
class GpuTargetTest : public ::testing::TestWithParam<Target> {
protected:
  void SetUp() override {
    std::string reason = getTargetUnavailableReason(GetParam());
    if (reason.empty())
      return;
    if (isGpuRequired())
      FAIL() << "OPTIM_REQUIRE_GPU=1, but " << reason;
    GTEST_SKIP() << reason;
  }
};

/// "Emulated" or "Device", the instantiations' names.
std::string getGpuTargetName(const ::testing::TestParamInfo<Target> &info);

} // namespace optim::test

namespace optim {
/// How gtest names a Target parameter (found by argument-dependent lookup).
inline void PrintTo(Target target, std::ostream *os) {
  *os << (target == Target::GPU           ? "Target::GPU"
          : target == Target::GPUEmulated ? "Target::GPUEmulated"
                                          : "Target::CPU");
}
} // namespace optim

/// Instantiates the TEST_Ps of `fixture` (a GpuTargetTest) for the
/// emulation and the device.
#define OPTIM_INSTANTIATE_ON_GPU_TARGETS(fixture)                              \
  INSTANTIATE_TEST_SUITE_P(                                                    \
      GpuTargets, fixture,                                                     \
      ::testing::Values(::optim::Target::GPUEmulated, ::optim::Target::GPU),   \
      ::optim::test::getGpuTargetName)

#endif // OPTIM_TEST_UNIT_RUNTIME_GPUTARGETS_H
