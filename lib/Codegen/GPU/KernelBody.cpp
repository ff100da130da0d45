//===- KernelBody.cpp - a generic's body as kernel code -------------------===//

#include "KernelBody.h"

#include "optim/Codegen/GroupTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

/// sqrt.rn.f32 through the NVVM intrinsic: convert-gpu-to-nvvm would turn
/// math.sqrt (and llvm.sqrt) into libdevice's __nv_sqrtf, which compiles to
/// sqrt.approx.f32. Vectors are done lane by lane (PTX has no vector sqrt).
Operation *emitPreciseSqrt(OpBuilder &b, Location loc, Value x) {
  StringAttr intrinsic = b.getStringAttr("llvm.nvvm.sqrt.rn.f");
  Type f32 = b.getF32Type();
  auto vectorType = dyn_cast<VectorType>(x.getType());
  if (!vectorType)
    return LLVM::CallIntrinsicOp::create(b, loc, f32, intrinsic, x);
  SmallVector<Value> lanes;
  for (int64_t i = 0; i < vectorType.getNumElements(); ++i) {
    Value lane = vector::ExtractOp::create(b, loc, x, i);
    lanes.push_back(LLVM::CallIntrinsicOp::create(b, loc, f32, intrinsic, lane)
                        .getResult(0));
  }
  return vector::FromElementsOp::create(b, loc, vectorType, lanes);
}

/// The global a constant table (`bufferization.to_tensor` of a
/// `memref.get_global`) reads, or null.
memref::GetGlobalOp getTableGlobal(Value tensor) {
  auto toTensor = tensor.getDefiningOp<bufferization::ToTensorOp>();
  if (!toTensor)
    return nullptr;
  return toTensor.getBuffer().getDefiningOp<memref::GetGlobalOp>();
}

/// Whether `type` is a scalar the kernel computes with lane by lane.
bool isScalarType(Type type) { return type.isIntOrIndexOrFloat(); }

/// The values of `op`'s body that differ between elements: its block
/// arguments, `linalg.index` and whatever depends on them (through nested
/// regions too). The rest is uniform across the elements.
llvm::DenseSet<Value> getVaryingValues(linalg::GenericOp op) {
  Block *body = op.getBody();
  llvm::DenseSet<Value> varying(body->args_begin(), body->args_end());
  for (Operation &inner : body->without_terminator()) {
    bool depends = isa<linalg::IndexOp>(inner);
    inner.walk([&](Operation *nested) {
      depends |= isa<linalg::IndexOp>(nested) ||
                 llvm::any_of(nested->getOperands(),
                              [&](Value v) { return varying.contains(v); });
    });
    if (depends)
      varying.insert(inner.result_begin(), inner.result_end());
  }
  return varying;
}

} // namespace

bool mlir::optim::isKernelBody(linalg::GenericOp op) {
  Block *body = op.getBody();
  WalkResult result = body->walk([&](Operation *inner) {
    for (Value v : inner->getOperands()) {
      if (body->getParent()->isAncestor(v.getParentRegion()))
        continue;
      if (!isScalarType(v.getType()) && !getTableGlobal(v))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

bool mlir::optim::isVectorizableBody(linalg::GenericOp op) {
  llvm::DenseSet<Value> varying = getVaryingValues(op);
  for (Operation &inner : op.getBody()->without_terminator()) {
    if (isa<linalg::IndexOp>(inner) ||
        llvm::none_of(inner.getResults(),
                      [&](Value v) { return varying.contains(v); }))
      continue;
    // A varying op becomes the same op on vectors: one that maps lane by
    // lane over scalars (not a lookup, not an op with regions).
    if (!inner.hasTrait<OpTrait::Vectorizable>() || inner.getNumRegions() ||
        !llvm::all_of(inner.getOperandTypes(), isScalarType) ||
        !llvm::all_of(inner.getResultTypes(), isScalarType))
      return false;
  }
  return true;
}

SmallVector<Value> mlir::optim::cloneGenericBody(OpBuilder &b, Location loc,
                                                 linalg::GenericOp op,
                                                 IRMapping &mapping,
                                                 Value index, int64_t width,
                                                 bool preciseMath) {
  Block *body = op.getBody();
  // Uniform values stay scalars, computed once per vector; a vector op
  // that uses one takes its broadcast.
  llvm::DenseSet<Value> varying;
  if (width)
    varying = getVaryingValues(op);
  llvm::DenseMap<Value, Value> splats;
  auto lookup = [&](Value v) -> Value {
    Value mapped = mapping.lookupOrDefault(v);
    if (!width || varying.contains(v))
      return mapped;
    Value &splat = splats[v];
    if (!splat)
      splat = vector::BroadcastOp::create(
          b, loc, VectorType::get({width}, mapped.getType()), mapped);
    return splat;
  };
  for (Operation &inner : body->without_terminator()) {
    if (auto extract = dyn_cast<tensor::ExtractOp>(inner)) {
      // A table lookup: the table is a global the kernel reads directly.
      if (memref::GetGlobalOp table = getTableGlobal(extract.getTensor())) {
        assert((!width || !varying.contains(extract.getResult())) &&
               "a varying lookup is not vectorisable");
        Value global = mapping.lookupOrNull(table.getResult());
        if (!global) {
          global = b.clone(*table)->getResult(0);
          mapping.map(table.getResult(), global);
        }
        SmallVector<Value> indices =
            llvm::map_to_vector(extract.getIndices(), [&](Value v) {
              return mapping.lookupOrDefault(v);
            });
        mapping.map(extract.getResult(),
                    memref::LoadOp::create(b, loc, global, indices));
        continue;
      }
    }
    if (isa<linalg::IndexOp>(inner)) {
      // The element's index (the generic is 1-d): `index`, or for a vector
      // the lanes index + 0, 1, ..., width - 1.
      Value at = index;
      if (width) {
        // A constant rather than vector.step, which the NVVM lowering
        // does not convert.
        SmallVector<APInt> lanes;
        for (int64_t lane = 0; lane < width; ++lane)
          lanes.push_back(APInt(64, lane));
        auto type = VectorType::get({width}, b.getIndexType());
        Value steps = arith::ConstantOp::create(
            b, loc, type, DenseElementsAttr::get(type, lanes));
        at = arith::AddIOp::create(
            b, loc, vector::BroadcastOp::create(b, loc, type, index), steps);
      }
      mapping.map(inner.getResult(0), at);
      continue;
    }
    bool vectorOp = width && llvm::any_of(inner.getResults(), [&](Value v) {
                      return varying.contains(v);
                    });
    Operation *clone;
    if (!vectorOp) {
      // A scalar op, regions and all.
      if (preciseMath && isa<math::SqrtOp>(inner) &&
          inner.getResult(0).getType().isF32())
        clone = emitPreciseSqrt(b, loc,
                                mapping.lookupOrDefault(inner.getOperand(0)));
      else
        clone = b.clone(inner, mapping);
    } else {
      SmallVector<Value> operands =
          llvm::map_to_vector(inner.getOperands(), lookup);
      SmallVector<Type> types;
      for (Type t : inner.getResultTypes())
        types.push_back(VectorType::get({width}, t));
      if (preciseMath && isa<math::SqrtOp>(inner) &&
          getElementTypeOrSelf(types[0]).isF32()) {
        clone = emitPreciseSqrt(b, loc, operands[0]);
      } else {
        OperationState state(loc, inner.getName(), operands, types,
                             inner.getAttrs());
        clone = b.create(state);
      }
    }
    mapping.map(inner.getResults(), clone->getResults());
  }
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  return llvm::map_to_vector(yield.getValues(), lookup);
}

/// A memref<?xT> view of `size` (i64) elements at `address` (i64), for the
/// buffers a group table describes. The descriptor is assembled in the LLVM
/// dialect and cast to the memref type; when the memref ops are lowered
/// (on the device or on the host), the cast pair folds away.
Value mlir::optim::buildTableView(OpBuilder &b, Location loc,
                                  MemRefType type, Value address,
                                  Value size) {
  MLIRContext *ctx = b.getContext();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  Type array = LLVM::LLVMArrayType::get(i64, 1);
  Type descriptorType =
      LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, i64, array, array});
  // The table holds global-memory addresses: saying so lets LLVM's
  // address-space inference turn the accesses into ld/st.global on NVPTX
  // (on the host, the cast is a no-op).
  Value global = LLVM::IntToPtrOp::create(
      b, loc, LLVM::LLVMPointerType::get(ctx, /*addressSpace=*/1), address);
  Value pointer = LLVM::AddrSpaceCastOp::create(b, loc, ptr, global);
  Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
  Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
  Value descriptor = LLVM::PoisonOp::create(b, loc, descriptorType);
  auto insert = [&](Value value, ArrayRef<int64_t> position) {
    descriptor =
        LLVM::InsertValueOp::create(b, loc, descriptor, value, position);
  };
  insert(pointer, {0});
  insert(pointer, {1});
  insert(zero, {2});
  insert(size, {3, 0});
  insert(one, {4, 0});
  return UnrealizedConversionCastOp::create(b, loc, type, descriptor)
      .getResult(0);
}

Value mlir::optim::loadTableWord(OpBuilder &b, Location loc, Value table,
                                 Value row, int64_t column) {
  Value at = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(
          b, loc, row,
          arith::ConstantIndexOp::create(b, loc, kGroupTableRowWords)),
      arith::ConstantIndexOp::create(b, loc, column));
  return memref::LoadOp::create(b, loc, table, at);
}

Value mlir::optim::loadTableSize(OpBuilder &b, Location loc, Value table,
                                 Value row) {
  return arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      loadTableWord(b, loc, table, row, kGroupTableSizeColumn));
}

void mlir::optim::buildTableChunkLoop(
    OpBuilder &b, Location loc, Value table, Value first, Value stride,
    function_ref<Value(OpBuilder &, Value)> getRowChunks,
    function_ref<void(OpBuilder &, Value, Value, Value)> buildChunk) {
  Type index = b.getIndexType();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value rows = arith::DivUIOp::create(
      b, loc, memref::DimOp::create(b, loc, table, 0),
      arith::ConstantIndexOp::create(b, loc, kGroupTableRowWords));
  // (chunk, row, the row's first chunk): the rows before `row` hold the
  // chunks below `base`.
  SmallVector<Type> state(3, index);
  SmallVector<Location> locs(3, loc);
  OpBuilder::InsertionGuard guard(b);
  auto chunks =
      scf::WhileOp::create(b, loc, state, ValueRange{first, zero, zero});
  {
    Block *before = b.createBlock(&chunks.getBefore(), {}, state, locs);
    Value c = before->getArgument(0);
    auto walk = scf::WhileOp::create(
        b, loc, TypeRange{index, index},
        ValueRange{before->getArgument(1), before->getArgument(2)});
    Block *walkBefore =
        b.createBlock(&walk.getBefore(), {}, {index, index}, {loc, loc});
    Value i = walkBefore->getArgument(0), base = walkBefore->getArgument(1);
    Value inTable =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i, rows);
    auto past = scf::IfOp::create(
        b, loc, inTable,
        [&](OpBuilder &tb, Location) {
          Value end = arith::AddIOp::create(tb, loc, base, getRowChunks(tb, i));
          Value isPast =
              arith::CmpIOp::create(tb, loc, arith::CmpIPredicate::uge, c, end);
          scf::YieldOp::create(tb, loc, isPast);
        },
        [&](OpBuilder &eb, Location) {
          scf::YieldOp::create(
              eb, loc, ValueRange{arith::ConstantIntOp::create(eb, loc, 0, 1)});
        });
    scf::ConditionOp::create(b, loc, past.getResult(0), ValueRange{i, base});
    Block *walkAfter =
        b.createBlock(&walk.getAfter(), {}, {index, index}, {loc, loc});
    i = walkAfter->getArgument(0);
    base = walkAfter->getArgument(1);
    Value next = arith::AddIOp::create(b, loc, base, getRowChunks(b, i));
    scf::YieldOp::create(
        b, loc,
        ValueRange{arith::AddIOp::create(
                       b, loc, i, arith::ConstantIndexOp::create(b, loc, 1)),
                   next});
    b.setInsertionPointAfter(walk);
    Value more = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                       walk.getResult(0), rows);
    scf::ConditionOp::create(
        b, loc, more, ValueRange{c, walk.getResult(0), walk.getResult(1)});
  }
  Block *after = b.createBlock(&chunks.getAfter(), {}, state, locs);
  Value c = after->getArgument(0);
  buildChunk(b, c, after->getArgument(1), after->getArgument(2));
  scf::YieldOp::create(b, loc,
                       ValueRange{arith::AddIOp::create(b, loc, c, stride),
                                  after->getArgument(1),
                                  after->getArgument(2)});
}
