//===- MpiCommunicator.cpp - the sharded step's collectives over MPI ------===//

#include "optim/Runtime/Distributed/MpiCommunicator.h"

#include "Elementwise.h"

#include "llvm/Support/FormatVariadic.h"

#include <climits>

using namespace ::optim;
using namespace ::optim::distributed;

Communicator::~Communicator() = default;

namespace {
/// An MPI return code as an error naming the call.
llvm::Error check(int code, llvm::StringRef call) {
  if (code == MPI_SUCCESS)
    return llvm::Error::success();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    length = 0;
  return llvm::createStringError(
      llvm::formatv("{0} failed: {1}", call,
                    length ? llvm::StringRef(text, length) : "unknown error")
          .str());
}

llvm::Error checkCount(int64_t count, llvm::StringRef what) {
  if (count < 0 || count > kMaxBlockElements)
    return llvm::createStringError(
        llvm::formatv("{0}: {1} per rank is outside MPI's int counts", what,
                      count)
            .str());
  return llvm::Error::success();
}

// MPI user operations (MPI_User_function): element-wise sums of 16-bit
// floats carried as MPI_UINT16_T.
void sumHalf(void *in, void *inout, int *len, MPI_Datatype *) {
  addInPlace(inout, in, *len, ElementType::f16);
}
void sumBFloat(void *in, void *inout, int *len, MPI_Datatype *) {
  addInPlace(inout, in, *len, ElementType::bf16);
}
} // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm, int rank, int size)
    : comm(comm), rank(rank), size(size) {}

llvm::Expected<std::unique_ptr<MpiCommunicator>>
MpiCommunicator::create(MPI_Comm parent) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    return llvm::createStringError(
        "MpiCommunicator::create: MPI is not initialised (call MPI_Init "
        "first)");
  if (parent == MPI_COMM_NULL)
    return llvm::createStringError(
        "MpiCommunicator::create: the communicator is MPI_COMM_NULL");
  MPI_Comm comm;
  if (llvm::Error error = check(MPI_Comm_dup(parent, &comm), "MPI_Comm_dup"))
    return std::move(error);
  // Errors on our communicator come back as codes (the default,
  // MPI_ERRORS_ARE_FATAL, aborts the job).
  int rank = 0, size = 0;
  if (llvm::Error error =
          check(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN),
                "MPI_Comm_set_errhandler")) {
    MPI_Comm_free(&comm);
    return std::move(error);
  }
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(comm, rank, size));
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return;
  if (halfSum != MPI_OP_NULL)
    MPI_Op_free(&halfSum);
  if (bfloatSum != MPI_OP_NULL)
    MPI_Op_free(&bfloatSum);
  MPI_Comm_free(&comm);
}

std::string MpiCommunicator::getName() const {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  // The first line, without the release details.
  llvm::StringRef text(version, length);
  text = text.take_until([](char c) { return c == '\n' || c == ','; });
  return text.trim().str();
}

llvm::Error MpiCommunicator::reduceScatterSum(const void *send, void *recv,
                                              int64_t blockElements,
                                              ElementType type) {
  if (llvm::Error error = checkCount(blockElements, "reduce-scatter"))
    return error;
  MPI_Datatype datatype = MPI_FLOAT;
  MPI_Op op = MPI_SUM;
  switch (type) {
  case ElementType::f32:
    break;
  case ElementType::f64:
    datatype = MPI_DOUBLE;
    break;
  case ElementType::f16:
  case ElementType::bf16: {
    datatype = MPI_UINT16_T;
    MPI_Op &user = type == ElementType::f16 ? halfSum : bfloatSum;
    if (user == MPI_OP_NULL)
      if (llvm::Error error = check(
              MPI_Op_create(type == ElementType::f16 ? sumHalf : sumBFloat,
                            /*commute=*/1, &user),
              "MPI_Op_create"))
        return error;
    op = user;
    break;
  }
  }
  return check(MPI_Reduce_scatter_block(send, recv,
                                        static_cast<int>(blockElements),
                                        datatype, op, comm),
               "MPI_Reduce_scatter_block");
}

llvm::Error MpiCommunicator::allGatherInPlace(void *buffer,
                                              int64_t blockBytes) {
  // Whole 8-byte words when possible: counts reach 4x further.
  MPI_Datatype datatype = MPI_BYTE;
  int64_t count = blockBytes;
  if (blockBytes % 8 == 0) {
    datatype = MPI_UINT64_T;
    count = blockBytes / 8;
  }
  if (llvm::Error error = checkCount(count, "all-gather"))
    return error;
  return check(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer,
                             static_cast<int>(count), datatype, comm),
               "MPI_Allgather");
}

llvm::Error MpiCommunicator::allGather(const void *send, void *recv,
                                       int64_t bytes) {
  if (llvm::Error error = checkCount(bytes, "all-gather"))
    return error;
  return check(MPI_Allgather(send, static_cast<int>(bytes), MPI_BYTE, recv,
                             static_cast<int>(bytes), MPI_BYTE, comm),
               "MPI_Allgather");
}

llvm::Error MpiCommunicator::allReduceMax(double *values, int count) {
  return check(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_MAX,
                             comm),
               "MPI_Allreduce");
}
