//===- TensorView.h - typed views of caller-owned elements ------*- C++ -*-===//
//
// A parameter or gradient as the runtime's typed APIs take it: a pointer,
// an element count and the element type, so that an f64 buffer handed to an
// f32 optimizer is an error instead of a silent reinterpretation. f32 and
// f64 views are built from typed pointers or arrays; f16 and bf16 have no
// C++ type of their own, so their views are made by name:
//
//   TensorView w(weights.data(), weights.size());        // f32
//   TensorView h = TensorView::bf16(halfWeights, n);     // bf16
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_TENSORVIEW_H
#define OPTIM_RUNTIME_TENSORVIEW_H

#include "optim/Runtime/StepConfig.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace optim {

namespace detail {
template <typename Int>
using IfInteger = std::enable_if_t<std::is_integral_v<Int>>;

/// Any integer count as int64_t; a count no int64_t holds becomes -1, which
/// every API rejects as a negative size (never a silent truncation).
template <typename Int> int64_t toElementCount(Int n) {
  static_assert(std::is_integral_v<Int>, "element counts are integers");
  if constexpr (std::is_unsigned_v<Int>)
    if (n > static_cast<std::make_unsigned_t<int64_t>>(
                std::numeric_limits<int64_t>::max()))
      return -1;
  return static_cast<int64_t>(n);
}
} // namespace detail

/// Contiguous elements of one type, written in place (parameters).
struct TensorView {
  void *data = nullptr;
  int64_t numElements = 0;
  ElementType type = ElementType::f32;

  TensorView() = default;
  TensorView(void *data, int64_t numElements, ElementType type)
      : data(data), numElements(numElements), type(type) {}
  template <typename Int, typename = detail::IfInteger<Int>>
  TensorView(float *data, Int n)
      : TensorView(data, detail::toElementCount(n), ElementType::f32) {}
  template <typename Int, typename = detail::IfInteger<Int>>
  TensorView(double *data, Int n)
      : TensorView(data, detail::toElementCount(n), ElementType::f64) {}
  TensorView(llvm::MutableArrayRef<float> a) : TensorView(a.data(), a.size()) {}
  TensorView(llvm::MutableArrayRef<double> a)
      : TensorView(a.data(), a.size()) {}
  TensorView(std::vector<float> &v) : TensorView(v.data(), v.size()) {}
  TensorView(std::vector<double> &v) : TensorView(v.data(), v.size()) {}

  template <typename Int, typename = detail::IfInteger<Int>>
  static TensorView bf16(void *data, Int n) {
    return {data, detail::toElementCount(n), ElementType::bf16};
  }
  template <typename Int, typename = detail::IfInteger<Int>>
  static TensorView f16(void *data, Int n) {
    return {data, detail::toElementCount(n), ElementType::f16};
  }
};

/// Contiguous elements of one type, only read (gradients).
struct ConstTensorView {
  const void *data = nullptr;
  int64_t numElements = 0;
  ElementType type = ElementType::f32;

  ConstTensorView() = default;
  ConstTensorView(const void *data, int64_t numElements, ElementType type)
      : data(data), numElements(numElements), type(type) {}
  ConstTensorView(const TensorView &view)
      : ConstTensorView(view.data, view.numElements, view.type) {}
  template <typename Int, typename = detail::IfInteger<Int>>
  ConstTensorView(const float *data, Int n)
      : ConstTensorView(data, detail::toElementCount(n), ElementType::f32) {}
  template <typename Int, typename = detail::IfInteger<Int>>
  ConstTensorView(const double *data, Int n)
      : ConstTensorView(data, detail::toElementCount(n), ElementType::f64) {}
  ConstTensorView(llvm::ArrayRef<float> a)
      : ConstTensorView(a.data(), a.size()) {}
  ConstTensorView(llvm::ArrayRef<double> a)
      : ConstTensorView(a.data(), a.size()) {}
  ConstTensorView(const std::vector<float> &v)
      : ConstTensorView(v.data(), v.size()) {}
  ConstTensorView(const std::vector<double> &v)
      : ConstTensorView(v.data(), v.size()) {}

  template <typename Int, typename = detail::IfInteger<Int>>
  static ConstTensorView bf16(const void *data, Int n) {
    return {data, detail::toElementCount(n), ElementType::bf16};
  }
  template <typename Int, typename = detail::IfInteger<Int>>
  static ConstTensorView f16(const void *data, Int n) {
    return {data, detail::toElementCount(n), ElementType::f16};
  }
};

} // namespace optim

#endif // OPTIM_RUNTIME_TENSORVIEW_H
