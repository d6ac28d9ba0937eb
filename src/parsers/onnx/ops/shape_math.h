// Arithmetic on shape tensors (small int64 1-D tensors) built from kiln
// layers, for ops whose parameters arrive as tensors known only at run time
// (Slice starts, Split sizes, Pad pads, Range bounds ...). Each helper returns
// the result tensor, or null after recording an error on the node.
#pragma once
#include <cstdint>
#include <vector>

#include "ops.h"

namespace kiln::onnx::shape {

//! Constant int64 [n] (or a scalar with `scalar`).
ITensor* i64(ConverterContext& ctx, const std::vector<int64_t>& values, bool scalar = false);
//! The input's value as int64 (cast when it is another integer type).
ITensor* toI64(ConverterContext& ctx, ITensor& t);
//! Reshaped to 1-D (a scalar becomes [1]).
ITensor* flat(ConverterContext& ctx, ITensor& t);
//! Reshaped to a scalar (t must hold one element).
ITensor* scalar(ConverterContext& ctx, ITensor& t);
//! The dims of x as int64 [rank]: a constant when they are all known.
ITensor* dimsOf(ConverterContext& ctx, ITensor& x);
//! v[indices] for a 1-D v and constant indices.
ITensor* gather(ConverterContext& ctx, ITensor& v, const std::vector<int64_t>& indices);
//! 1-D concatenation.
ITensor* concat(ConverterContext& ctx, const std::vector<ITensor*>& parts);
ITensor* binary(ConverterContext& ctx, ITensor& a, ITensor& b, ElementWiseOperation op);
ITensor* select(ConverterContext& ctx, ITensor& condition, ITensor& a, ITensor& b);
//! min(max(t, lo), hi), elementwise with broadcasting.
ITensor* clamp(ConverterContext& ctx, ITensor& t, ITensor& lo, ITensor& hi);

//! A full-rank vector from per-axis values: out[d] = values[k] where axes[k] == d,
//! else fallback[d]. `values` is 1-D [axes.size()], `fallback` 1-D [rank]; axes
//! are normalized.
ITensor* scatterAxes(ConverterContext& ctx, ITensor& values, const std::vector<int64_t>& axes, ITensor& fallback,
                     int32_t rank);

//! The same with axes given as an int64 tensor [k] of normalized values (known at run time).
ITensor* scatterAxes(ConverterContext& ctx, ITensor& values, ITensor& axes, ITensor& fallback, int32_t rank);

//! Negative axes (int64 tensor) made positive against `rank`.
ITensor* normalizeAxes(ConverterContext& ctx, ITensor& axes, int32_t rank);

//! A tensor of x's dtype and shape `dims` (int64 1-D) filled with one value.
ITensor* fillLike(ConverterContext& ctx, ITensor& dims, DataType type, double value);

//! Largest tensor the parser fills itself (ConstantOfShape with a constant
//! shape, Dropout's all-true mask): a bigger one becomes a Fill layer, left to
//! the builder (which folds it up to its own limit) and the engine, so parsing
//! stays fast and small whatever the model declares.
constexpr int64_t kMaxParseTimeFillBytes = int64_t(16) << 20;
//! Largest filled tensor the parser accepts at all (1 TiB, beyond any device
//! kiln targets): a larger one, or one whose size overflows, is refused
//! naming the node and output instead of being planned.
constexpr int64_t kMaxFillBytes = int64_t(1) << 40;

//! Binds the node's next output (index outputs.size()) to a tensor of shape
//! `dims` holding `value` (one element) everywhere, pushing onto `outputs`: a
//! parse-time constant up to kMaxParseTimeFillBytes, a Fill layer above. False
//! after an error naming the node and output (negative extent, over kMaxFillBytes).
bool fillOutput(ConverterContext& ctx, const std::vector<int64_t>& dims, const Constant& value,
                std::vector<ITensor*>& outputs);

}  // namespace kiln::onnx::shape
